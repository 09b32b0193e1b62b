// Partial rotary (Phi-4-mini's partial_rotary_factor): transformers turns the first R of each head's D
// dimensions as pairs (i, i + R/2) and passes the other D − R through. The engine's kernels, the
// oracle and the ONNX graph turn pairs (i, i + D/2). On load, q's and k's rows are reordered per head
// so that the HF pairs land on engine pairs i < R/2 and the pass-through dims on pairs i ≥ R/2, which
// turn at frequency 0 (reference/rope.ts ropeFrequencies: cos 1, sin 0, exactly the identity). The
// same reorder of q and of k leaves every score q·k, hence the model, unchanged; v and o are untouched.
import type { ModelConfig } from '../core/model-config';
import { headNormNames, linearName } from '../core/tensor-names';
import type { TensorEntry } from './weight-source';

/** Does RoPE turn only part of each head (ModelConfig.rotaryDim)? */
export function isPartialRotary(cfg: ModelConfig): boolean {
  return cfg.rotaryDim !== undefined && cfg.rotaryDim < cfg.headDim;
}

/**
 * For each engine position e of a head, the HF dimension it holds: the first half of the head is the
 * rotary half r0 then the first half of the pass-through dims, the second half r1 then the rest.
 */
export function rotaryLayoutSource(headDim: number, rotaryDim: number): Int32Array {
  const half = headDim / 2;
  const rHalf = rotaryDim / 2;
  const passHalf = half - rHalf;
  return Int32Array.from({ length: headDim }, (_, e) => {
    const j = e % half;
    const second = e >= half;
    if (j < rHalf) return second ? rHalf + j : j;
    return rotaryDim + (second ? passHalf : 0) + (j - rHalf);
  });
}

/** For `rows` rows of whole heads (q's or k's), the HF row that each engine row holds. */
export function rotaryRowSource(headDim: number, rotaryDim: number, rows: number): Int32Array {
  const held = rotaryLayoutSource(headDim, rotaryDim);
  return Int32Array.from({ length: rows }, (_, i) => Math.floor(i / headDim) * headDim + held[i % headDim]);
}

/** An entry whose rows (a weight's rows, a vector's values) are in the engine's order. */
function reorderedEntry(entry: TensorEntry, headDim: number, rotaryDim: number): TensorEntry {
  const rowLength = entry.shape.length === 2 ? entry.shape[1] : 1;
  return {
    ...entry,
    read: async () => {
      const data = await entry.read();
      const out = new Float32Array(data.length);
      const from = rotaryRowSource(headDim, rotaryDim, data.length / rowLength);
      from.forEach((r, i) => out.set(data.subarray(r * rowLength, (r + 1) * rowLength), i * rowLength));
      return out;
    },
  };
}

/** The tensors with q's and k's rows (weights, biases, Qwen3-style head norms) in the engine's order. */
export function toRotaryLayout(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  if (!isPartialRotary(cfg)) return tensors;
  const out = new Map(tensors);
  const reorder = (name: string) => {
    const entry = out.get(name);
    if (entry) out.set(name, reorderedEntry(entry, cfg.headDim, cfg.rotaryDim!)); // a missing weight is reported by the weight source
  };
  for (let layer = 0; layer < cfg.layers; layer++) {
    for (const role of ['q', 'k'] as const) {
      const name = linearName(cfg.arch, layer, role);
      reorder(`${name}.weight`);
      reorder(`${name}.bias`);
    }
    if (cfg.qkNorm) {
      const norms = headNormNames(layer);
      reorder(`${norms.q}.weight`);
      reorder(`${norms.k}.weight`);
    }
  }
  return out;
}
