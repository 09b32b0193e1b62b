// Test helpers: a quantized model built on the CPU with the float64 quantizer twin (no GPU), and
// the reference weights of its dequantized form, so exporters are checked against values they did
// not compute themselves.
import type { LoadedModel } from '../core/model-config';
import { linearName, linearRoles } from '../core/tensor-names';
import { effectiveGroupSize, type QuantizedLinear, type QuantSpec } from '../core/quant-spec';
import type { QuantizedModel } from '../quant/quantized-model';
import { quantizeRef } from '../reference/quantize';
import type { ExportInput } from './model-parts';
import { packMatMulNBits } from './onnx';
import { attr } from './onnx-graph';
import { encodeModel, OnnxType } from './onnx-proto';
import { bytesOf } from './sink';

export interface CpuQuantized extends ExportInput {
  /** float64 (code - zero) * scale per quantized Linear weight, by HF tensor name. */
  dequantized: Map<string, Float64Array>;
}

/**
 * RTN of every Linear with the float64 twin; `overrides` (e.g. a scaled norm) stand in for a
 * transform. With `columnOrder`, groups are formed along that order of the input columns and
 * stored with their g_idx, as GPTQ's act-order leaves them.
 */
export async function quantizeOnCpu(
  model: LoadedModel,
  spec: QuantSpec,
  overrides = new Map<string, Float32Array>(),
  columnOrder?: (cols: number, name: string) => Int32Array,
): Promise<CpuQuantized> {
  const cfg = model.weights.config;
  const linears = new Map<string, QuantizedLinear>();
  const dequantized = new Map<string, Float64Array>();
  for (let l = 0; l < cfg.layers; l++) {
    for (const role of linearRoles(cfg.arch)) {
      const name = linearName(cfg.arch, l, role);
      const [rows, cols] = model.weights.shapes.get(`${name}.weight`)!;
      const w = overrides.get(`${name}.weight`) ?? (await model.weights.get(`${name}.weight`));
      const order = columnOrder?.(cols, name) ?? Int32Array.from({ length: cols }, (_, i) => i);
      const wp = new Float32Array(w.length);
      for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) wp[r * cols + k] = w[r * cols + order[k]];
      const r = quantizeRef(wp, rows, cols, spec);
      const g = effectiveGroupSize(spec, cols);
      const nG = r.scales.length / rows;
      // Codes back in the original column order; column order[k] belongs to group k / g.
      const codes = new Uint8Array(rows * cols);
      for (let i = 0; i < rows; i++) for (let k = 0; k < cols; k++) codes[i * cols + order[k]] = r.codes[i * cols + k];
      const gIdx = new Uint32Array(cols);
      order.forEach((c, k) => (gIdx[c] = Math.floor(k / g)));
      const q: QuantizedLinear = { name, rows, cols, spec, codes, scales: Float32Array.from(r.scales), zeros: Float32Array.from(r.zeros) };
      if (columnOrder) q.gIdx = gIdx;
      linears.set(name, q);
      // The twin's deq uses float64 scales; recompute with the stored f32 scales.
      const s32 = Float32Array.from(r.scales);
      dequantized.set(
        `${name}.weight`,
        Float64Array.from(codes, (c, i) => {
          const k = Math.floor(i / cols) * nG + gIdx[i % cols];
          return (c - r.zeros[k]) * s32[k];
        }),
      );
    }
  }
  const quantized: QuantizedModel = { config: cfg, spec, linears, overrides };
  return { model, quantized, dequantized };
}

/** Reference weights: dequantized Linears, overrides, then the source (all loaded up front). */
export async function referenceWeights(q: CpuQuantized): Promise<(name: string) => Float32Array | Float64Array> {
  const cache = new Map<string, Float32Array | Float64Array>();
  for (const n of q.model.weights.shapes.keys()) cache.set(n, q.dequantized.get(n) ?? q.quantized.overrides.get(n) ?? (await q.model.weights.get(n)));
  return (n) => {
    const v = cache.get(n);
    if (!v) throw new Error(`no tensor ${n}`);
    return v;
  };
}

/** A one-node ONNX model Y = A · dequant(q)^T through MatMulNBits, for kernel checks. */
export function matMulNBitsModel(q: QuantizedLinear, block: number, M: number): Uint8Array {
  const p = packMatMulNBits(q, block);
  const t = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: OnnxType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  return encodeModel({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: 'matmulnbits',
      node: [
        {
          name: 'mm',
          opType: 'MatMulNBits',
          domain: 'com.microsoft',
          input: ['A', 'B', 'S', 'Z'],
          output: ['Y'],
          attribute: [attr.int('K', q.cols), attr.int('N', q.rows), attr.int('bits', q.spec.bits), attr.int('block_size', block)],
        },
      ],
      initializer: [
        { name: 'B', dims: [q.rows, p.nBlocks, (block * q.spec.bits) / 8], dataType: OnnxType.UINT8, rawData: p.B },
        { name: 'S', dims: [q.rows * p.nBlocks], dataType: OnnxType.FLOAT, rawData: bytesOf(p.scales) },
        { name: 'Z', dims: [p.zeroPoints.length], dataType: OnnxType.UINT8, rawData: p.zeroPoints },
      ],
      input: [t('A', [M, q.cols])],
      output: [t('Y', [M, q.rows])],
    },
  });
}

/** A deterministic quantized Linear with every code, zero point and a spread of scales. */
export function syntheticLinear(rows: number, cols: number, bits: number, groupSize: number): QuantizedLinear {
  const spec = { bits, groupSize, symmetric: false };
  const nG = Math.ceil(cols / effectiveGroupSize(spec, cols));
  return {
    name: `synthetic.${rows}x${cols}`,
    rows,
    cols,
    spec,
    codes: new Uint8Array(rows * cols).map((_, i) => (i * 7 + 3) % (1 << bits)),
    scales: new Float32Array(rows * nG).map((_, i) => 0.01 + 0.001 * (i % 13)),
    zeros: new Float32Array(rows * nG).map((_, i) => (i * 3) % (1 << bits)),
  };
}

/** float64 A [M, cols] · dequant(q)^T. */
export function dequantMatmulRef(q: QuantizedLinear, A: Float32Array, M: number): Float64Array {
  const g = effectiveGroupSize(q.spec, q.cols);
  const nG = q.scales.length / q.rows;
  const y = new Float64Array(M * q.rows);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < q.rows; n++) {
      let s = 0;
      for (let k = 0; k < q.cols; k++) {
        const gi = n * nG + Math.floor(k / g);
        s += A[m * q.cols + k] * (q.codes[n * q.cols + k] - q.zeros[gi]) * q.scales[gi];
      }
      y[m * q.rows + n] = s;
    }
  }
  return y;
}

/** Every tensor of a loaded model read once, as the float64 forward's lookup (reference/model.ts's RefWeights). */
export async function allWeights(m: LoadedModel): Promise<(name: string) => Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const n of m.weights.shapes.keys()) out.set(n, await m.weights.get(n));
  return (n) => out.get(n)!;
}

/**
 * max |a - b| / max |b|. Not reference/compare's maxRelError: no floor, and a NaN stays NaN so it fails
 * `toBeGreaterThan` checks too (maxRelError turns a NaN in `a` into Infinity, which would pass them).
 */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0,
    den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}
