// Granite (GraniteForCausalLM) is LLaMA with four scalars. Each multiplies something a LLaMA weight
// already multiplies, so it moves into that weight on load, exactly up to one f32 rounding per value,
// and the engine runs the plain LLaMA the folded weights are:
//   embedding_multiplier e: embed_tokens × e (the input embedding is a row of it).
//   residual_multiplier r: o_proj and down_proj × r (each branch's output is their product; their
//     biases too, where attention_bias / mlp_bias give them one).
//   attention_multiplier a, the score scale in place of 1/√d: q_proj (and its bias) × a·√d. RoPE is linear in q,
//     so scaling q before it scales the scores, and the engine's own 1/√d then leaves a.
//   logits_scaling s, a divisor of the logits: the final norm's weight × 1/s (RMSNorm's output, the
//     head's input, is linear in it). A tied head is the embedding, already × e: there × 1/(e·s).
// 1/s goes into the norm, not an untied lm_head, so both heads take one rule and the fold touches
// hidden values rather than the largest matrix.
import type { GraniteMultipliers, ModelConfig } from '../core/model-config';
import { globalNames, linearName, type LinearRole } from '../core/tensor-names';
import type { TensorEntry } from './weight-source';

/** The factor each weight is multiplied by (weights not listed keep their values). */
export function graniteFoldFactors(cfg: ModelConfig, m: GraniteMultipliers): Map<string, number> {
  const g = globalNames('llama');
  const factors = new Map<string, number>([
    [g.embed, m.embeddingMultiplier],
    [`${g.finalNorm}.weight`, 1 / (m.logitsScaling * (cfg.tiedEmbeddings ? m.embeddingMultiplier : 1))],
  ]);
  // A tied checkpoint that stores lm_head anyway: it stays the embedding (the engine reads the embedding).
  if (cfg.tiedEmbeddings) factors.set(g.lmHead, m.embeddingMultiplier);
  // a Linear's bias is part of its output, so it takes the weight's factor (attention_bias, mlp_bias)
  const linear = (layer: number, role: LinearRole, bias: boolean, factor: number) => {
    factors.set(`${linearName('llama', layer, role)}.weight`, factor);
    if (bias) factors.set(`${linearName('llama', layer, role)}.bias`, factor);
  };
  for (let layer = 0; layer < cfg.layers; layer++) {
    linear(layer, 'q', cfg.qkvBias, m.attentionMultiplier * Math.sqrt(cfg.headDim));
    linear(layer, 'o', cfg.outBias, m.residualMultiplier);
    linear(layer, 'down', cfg.mlpBias, m.residualMultiplier);
  }
  return factors;
}

/** The tensors with Granite's multipliers folded in: each affected one read, then scaled into a new array. */
export function foldGraniteMultipliers(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  if (!cfg.foldedMultipliers) return tensors;
  const out = new Map(tensors);
  for (const [name, factor] of graniteFoldFactors(cfg, cfg.foldedMultipliers)) {
    const entry = out.get(name);
    if (!entry || factor === 1) continue; // a missing tensor is reported by the weight source
    out.set(name, scaledEntry(entry, factor));
  }
  return out;
}

/** The entry read, then times factor into a new array (the reader's may be shared or cached, and must not be scaled twice). */
export function scaledEntry(entry: TensorEntry, factor: number): TensorEntry {
  return {
    ...entry,
    read: async () => {
      const data = await entry.read();
      const scaled = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) scaled[i] = data[i] * factor;
      return scaled;
    },
  };
}
