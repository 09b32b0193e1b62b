// LongRoPE (Phi-3.5-mini, the 128k Phi-3s) and YaRN multiply RoPE's cos and sin by an attention
// factor a (transformers' _compute_longrope_parameters / _compute_yarn_parameters; the rotary
// embedding's attention_scaling). The rotation is linear in q and in k, so rotating q·a and k·a is the
// same as scaling cos and sin, and q·k's scores carry a². The factor moves on load into what makes q
// and k: q_proj's and k_proj's rows and biases, or with Qwen3's per-head norms (applied after the
// projections, before RoPE) those norms' weights, only the rotated dims with partial rotary; each value
// rounded once to f32. Layers without RoPE
// (SmolLM3's NoPE layers) skip the rotary embedding and its factor. The engine, the oracle and every
// export then rotate with the frequencies alone.
import type { ModelConfig } from '../core/model-config';
import { headNormNames, linearName } from '../core/tensor-names';
import type { TensorEntry } from './weight-source';

/** The tensors with the RoPE attention factor folded into q and k (a new array per read). */
export function foldRopeAttentionFactor(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  const s = cfg.ropeScaling;
  if ((s?.type !== 'longrope' && s?.type !== 'yarn') || s.attentionFactor === 1) return tensors;
  const factor = s.attentionFactor;
  const out = new Map(tensors);
  const scale = (name: string) => {
    const entry = out.get(name);
    // a missing weight is reported by the weight source
    if (entry) out.set(name, rotatedRowsScaled(entry, factor, cfg.headDim, cfg.rotaryDim ?? cfg.headDim));
  };
  for (let layer = 0; layer < cfg.layers; layer++) {
    if (cfg.noRopeLayers?.includes(layer)) continue;
    if (cfg.qkNorm) {
      const norms = headNormNames(layer);
      scale(`${norms.q}.weight`);
      scale(`${norms.k}.weight`);
      continue;
    }
    for (const role of ['q', 'k'] as const) {
      scale(`${linearName(cfg.arch, layer, role)}.weight`);
      scale(`${linearName(cfg.arch, layer, role)}.bias`);
    }
  }
  return out;
}

/** The factor on the rotated rows of each head (HF order: the first rotaryDim of its headDim; with
 *  partial rotary transformers passes the rest through unscaled), each value rounded once to f32. */
function rotatedRowsScaled(entry: TensorEntry, factor: number, headDim: number, rotaryDim: number): TensorEntry {
  const rowLength = entry.shape.length === 2 ? entry.shape[1] : 1;
  return {
    ...entry,
    read: async () => {
      const data = (await entry.read()).slice();
      for (let r = 0; r < data.length / rowLength; r++)
        if (r % headDim < rotaryDim) for (let i = r * rowLength; i < (r + 1) * rowLength; i++) data[i] *= factor;
      return data;
    },
  };
}
