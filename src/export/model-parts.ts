// What every exporter reads from a quantized run: the transformed full-precision tensors (source
// weights with the method's overrides), the stored codes/scales/zeros of each quantized Linear,
// and the Linears' stored values dequantized exactly as the studio evaluates them.
import type { LoadedModel, ModelConfig, WeightSource } from '../core/model-config';
import { linearName, linearRoles, type LinearRole } from '../core/tensor-names';
import { effectiveGroupSize, groupCount, type QuantizedLinear } from '../core/quant-spec';
import { withOverrides, type QuantizedModel } from '../quant/quantized-model';
import { isPartialRotary, rotaryRowSource } from '../formats/partial-rotary';

export interface ExportInput {
  /** The model the run started from (tokenizer and untouched tensors). */
  model: LoadedModel;
  quantized: QuantizedModel;
}

export function transformedSource(inp: ExportInput): WeightSource {
  return withOverrides(inp.model.weights, inp.quantized.overrides);
}

export interface LinearSlot {
  layer: number;
  role: LinearRole;
  /** HF module name, e.g. model.layers.0.self_attn.q_proj */
  name: string;
  /** The stored quantization, or undefined when the method left this Linear in full precision. */
  q?: QuantizedLinear;
}

export function linearSlots(quantized: QuantizedModel): LinearSlot[] {
  const cfg = quantized.config;
  const out: LinearSlot[] = [];
  for (let layer = 0; layer < cfg.layers; layer++) {
    for (const role of linearRoles(cfg.arch)) {
      const name = linearName(cfg.arch, layer, role);
      out.push({ layer, role, name, q: quantized.linears.get(name) });
    }
  }
  return out;
}

/** W = (code - zero) * scale in float32, the same arithmetic as shaders/dequantize.wgsl. */
export function dequantizeLinear(q: QuantizedLinear): Float32Array {
  const g = effectiveGroupSize(q.spec, q.cols);
  const nG = groupCount(q.spec, q.cols);
  const w = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) {
      const k = r * nG + (q.gIdx ? q.gIdx[c] : Math.floor(c / g));
      w[r * q.cols + c] = Math.fround(q.codes[r * q.cols + c] - q.zeros[k]) * q.scales[k];
    }
  }
  return w;
}

/** Checks the invariants every exporter relies on: shapes, integer zero points in range. */
export function checkStoredLinear(q: QuantizedLinear): string | null {
  const nG = groupCount(q.spec, q.cols);
  const max = 2 ** q.spec.bits - 1;
  if (q.codes.length !== q.rows * q.cols) return `${q.name}: ${q.codes.length} codes for [${q.rows}, ${q.cols}]`;
  if (q.scales.length !== q.rows * nG || q.zeros.length !== q.rows * nG) return `${q.name}: scales/zeros are not [${q.rows}, ${nG}]`;
  if (q.gIdx && (q.gIdx.length !== q.cols || q.gIdx.some((k) => k >= nG)))
    return `${q.name}: g_idx does not map its ${q.cols} input columns to its ${nG} groups`;
  for (let i = 0; i < q.codes.length; i++) if (q.codes[i] > max) return `${q.name}: code ${q.codes[i]} does not fit in ${q.spec.bits} bits`;
  for (let i = 0; i < q.zeros.length; i++) {
    const z = q.zeros[i];
    if (!(Number.isInteger(z) && z >= 0 && z <= max)) return `${q.name}: zero point ${z} is not an integer in [0, ${max}]`;
    if (!Number.isFinite(q.scales[i])) return `${q.name}: scale ${q.scales[i]} is not finite`;
  }
  return null;
}

/**
 * Row permutation of a Q/K projection between rotary layouts (see formats/convert-hf.ts): output
 * rows move, groups run along the inputs, so codes, scales and zeros move with their rows exactly.
 * Returns from[] such that new row i is old row from[i].
 */
export function rotaryRowOrder(heads: number, headDim: number, toHalf: boolean): Int32Array {
  const from = new Int32Array(heads * headDim);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleaved = h * headDim + 2 * i + j;
        const split = h * headDim + j * half + i;
        if (toHalf) from[split] = interleaved;
        else from[interleaved] = split;
      }
    }
  }
  return from;
}

function permuteRowsOf<T extends Float32Array | Uint8Array>(a: T, width: number, from: Int32Array): T {
  const out = new (a.constructor as new (n: number) => T)(a.length);
  for (let i = 0; i < from.length; i++) out.set(a.subarray(from[i] * width, (from[i] + 1) * width), i * width);
  return out;
}

export function permuteQuantizedRows(q: QuantizedLinear, from: Int32Array): QuantizedLinear {
  const nG = q.scales.length / q.rows;
  return {
    ...q,
    codes: permuteRowsOf(q.codes, q.cols, from),
    scales: permuteRowsOf(q.scales, nG, from),
    zeros: permuteRowsOf(q.zeros, nG, from),
    bias: q.bias ? permuteRowsOf(q.bias, 1, from) : undefined,
  };
}

export function permuteFloatRows(w: Float32Array, cols: number, from: Int32Array): Float32Array {
  return permuteRowsOf(w, cols, from);
}

/** The rotary row order an exporter must apply to a Q/K Linear for a target layout, or null. */
export function rotaryPermutation(cfg: ModelConfig, role: LinearRole, target: 'half' | 'interleaved'): Int32Array | null {
  if (cfg.arch !== 'llama' || (role !== 'q' && role !== 'k') || cfg.ropeStyle === target) return null;
  return rotaryRowOrder(role === 'q' ? cfg.heads : cfg.kvHeads, cfg.headDim, target === 'half');
}

/**
 * The row order a Hugging Face folder needs for a Linear: the half-split rotary layout, and with
 * partial rotary each head's dims back in transformers' order (formats/partial-rotary.ts).
 */
export function hfRowOrder(cfg: ModelConfig, role: LinearRole): Int32Array | null {
  if (!isPartialRotary(cfg) || (role !== 'q' && role !== 'k')) return rotaryPermutation(cfg, role, 'half');
  const held = rotaryRowSource(cfg.headDim, cfg.rotaryDim!, (role === 'q' ? cfg.heads : cfg.kvHeads) * cfg.headDim);
  const from = new Int32Array(held.length); // the inverse: HF row held[e] comes from engine row e
  held.forEach((hf, e) => (from[hf] = e));
  return from;
}

/**
 * Act-order groups (g_idx) as consecutive runs: the input columns ordered by group (stably, so a
 * group keeps its columns' ascending order). Group k then occupies positions [k·g, (k+1)·g), the
 * last one ragged, as GPTQ's act-order leaves them; a g_idx whose groups do not have those sizes
 * gets a string saying so. Feeding x[:, order] to the codes' columns in that order computes the
 * same product: x·Wᵀ = x[:, order]·W[:, order]ᵀ.
 */
export function actOrderColumns(q: QuantizedLinear): Int32Array | string {
  if (!q.gIdx) throw new Error(`${q.name} has no g_idx`);
  const g = effectiveGroupSize(q.spec, q.cols);
  const nG = groupCount(q.spec, q.cols);
  const counts = new Array<number>(nG).fill(0);
  for (const k of q.gIdx) counts[k]++;
  const bad = counts.findIndex((n, k) => n !== Math.min(g, q.cols - k * g));
  if (bad >= 0) return `${q.name}: g_idx puts ${counts[bad]} input columns in group ${bad}, not the ${Math.min(g, q.cols - bad * g)} of GPTQ's act-order`;
  const order = Int32Array.from({ length: q.cols }, (_, i) => i);
  order.sort((a, b) => q.gIdx![a] - q.gIdx![b] || a - b);
  return order;
}

/** The Linear with its columns in `order` and groups as consecutive runs (no g_idx): the codes move, scales and zeros stay. */
export function permuteQuantizedColumns(q: QuantizedLinear, order: Int32Array): QuantizedLinear {
  const codes = new Uint8Array(q.codes.length);
  for (let r = 0; r < q.rows; r++) {
    const row = r * q.cols;
    for (let k = 0; k < q.cols; k++) codes[row + k] = q.codes[row + order[k]];
  }
  return { ...q, codes, gIdx: undefined };
}
