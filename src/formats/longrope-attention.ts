// LongRoPE (Phi-3.5-mini, the 128k Phi-3s) multiplies RoPE's cos and sin by an attention factor a
// (transformers' _compute_longrope_parameters; Phi3RotaryEmbedding's attention_scaling). The rotation
// is linear in q and in k, so rotating q·a and k·a is the same as scaling cos and sin, and q·k's
// scores carry a². The factor moves into q_proj's and k_proj's rows on load, each value rounded once
// to f32, and the engine, the oracle and every export rotate with the short factors alone.
import type { ModelConfig } from '../core/model-config';
import { linearName } from '../core/tensor-names';
import { scaledEntry } from './granite-multipliers';
import type { TensorEntry } from './weight-source';

/** The tensors with LongRoPE's attention factor folded into q_proj and k_proj (a new array per read). */
export function foldLongRopeAttention(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  const s = cfg.ropeScaling;
  if (s?.type !== 'longrope' || s.attentionFactor === 1) return tensors;
  const factor = s.attentionFactor;
  const out = new Map(tensors);
  for (let layer = 0; layer < cfg.layers; layer++) {
    for (const role of ['q', 'k'] as const) {
      const name = `${linearName(cfg.arch, layer, role)}.weight`;
      const entry = out.get(name);
      if (entry) out.set(name, scaledEntry(entry, factor)); // a missing tensor is reported by the weight source
    }
  }
  return out;
}
