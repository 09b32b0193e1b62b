// Test helpers: a quantized model built on the CPU with the float64 quantizer twin (no GPU), and
// the reference weights of its dequantized form, so exporters are checked against values they did
// not compute themselves.
import type { LoadedModel } from '../model/config';
import { linearName, linearRoles } from '../model/tensor-names';
import { effectiveGroupSize, type QuantizedLinear, type QuantSpec } from '../quant/format';
import type { QuantizedModel } from '../quant/quantized-model';
import { quantizeRef } from '../reference/quantize';
import type { ExportInput } from './model-parts';

export interface CpuQuantized extends ExportInput {
  /** float64 (code - zero) * scale per quantized Linear weight, by HF tensor name. */
  dequantized: Map<string, Float64Array>;
}

/** RTN of every Linear with the float64 twin; `overrides` (e.g. a scaled norm) stand in for a transform. */
export async function quantizeOnCpu(model: LoadedModel, spec: QuantSpec, overrides = new Map<string, Float32Array>()): Promise<CpuQuantized> {
  const cfg = model.weights.config;
  const linears = new Map<string, QuantizedLinear>();
  const dequantized = new Map<string, Float64Array>();
  for (let l = 0; l < cfg.layers; l++) {
    for (const role of linearRoles(cfg.arch)) {
      const name = linearName(cfg.arch, l, role);
      const [rows, cols] = model.weights.shapes.get(`${name}.weight`)!;
      const w = overrides.get(`${name}.weight`) ?? (await model.weights.get(`${name}.weight`));
      const r = quantizeRef(w, rows, cols, spec);
      linears.set(name, { name, rows, cols, spec, codes: Uint8Array.from(r.codes), scales: Float32Array.from(r.scales), zeros: Float32Array.from(r.zeros) });
      // The twin's deq uses float64 scales; recompute with the stored f32 scales.
      const s32 = Float32Array.from(r.scales);
      const nG = r.scales.length / rows;
      const g = effectiveGroupSize(spec, cols);
      dequantized.set(
        `${name}.weight`,
        Float64Array.from(r.codes, (c, i) => {
          const k = Math.floor(i / cols) * nG + Math.floor((i % cols) / g);
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
