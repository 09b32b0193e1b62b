// Typed wrappers of the quantizer kernels.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';

const WG = 64;

const QUANTIZE = defineKernel({
  shader: 'quantize',
  uniforms: { rows: 'u32', cols: 'u32', groupSize: 'u32', nGroups: 'u32', bits: 'u32', symmetric: 'u32' },
  bindings: { w: 'read', colScale: 'read?', codes: 'write?', scales: 'write?', zeros: 'write?', deq: 'write?' },
});
const DEQUANTIZE = defineKernel({
  shader: 'dequantize',
  uniforms: { rows: 'u32', cols: 'u32', groupSize: 'u32', nGroups: 'u32' },
  bindings: { codes: 'read', scales: 'read', zeros: 'read', w: 'write', gIdx: 'read?' },
});

export interface GpuQuantized {
  codes: Tensor;
  scales: Tensor;
  zeros: Tensor;
  /** [cols] u32, the group of each input column (GPTQ act-order); absent: contiguous groups. */
  gIdx?: Tensor;
}

function uniforms(w: Tensor, spec: QuantSpec) {
  const [rows, cols] = w.shape;
  return { rows, cols, groupSize: effectiveGroupSize(spec, cols), nGroups: groupCount(spec, cols), bits: spec.bits, symmetric: spec.symmetric ? 1 : 0 };
}

/**
 * Quantizes W [rows, cols] (optionally W·diag(colScale)) per group. Returns codes/scales/zeros,
 * the dequantized weights, or both. With colScale and `unscale`, the dequantized result is divided
 * by colScale again (the effective weight seen by the unscaled input).
 */
export function quantizeWeight(
  gpu: Gpu,
  w: Tensor,
  spec: QuantSpec,
  opts: { colScale?: Tensor; codes?: boolean; dequant?: boolean; unscale?: boolean } = {},
): Partial<GpuQuantized> & { deq?: Tensor } {
  const u = uniforms(w, spec);
  const { rows, cols, nGroups } = u;
  const wantCodes = opts.codes ?? true;
  const wantDeq = opts.dequant ?? false;
  // the optional outputs take consecutive bindings after those present
  let nextBinding = opts.colScale ? 3 : 2;
  const params: Record<string, number | boolean> = { WG, COLSCALE: !!opts.colScale, CODES: wantCodes, DEQUANT: wantDeq, UNSCALE: !!opts.unscale };
  const out: Partial<GpuQuantized> & { deq?: Tensor } = {};
  if (wantCodes) {
    out.codes = gpu.tensor([rows, cols], 'u32', 'codes');
    out.scales = gpu.tensor([rows, nGroups], 'f32', 'scales');
    out.zeros = gpu.tensor([rows, nGroups], 'f32', 'zeros');
    params.B_CODES = nextBinding++;
    params.B_SCALES = nextBinding++;
    params.B_ZEROS = nextBinding++;
  }
  if (wantDeq) {
    out.deq = gpu.tensor([rows, cols], 'f32', 'dequantized');
    params.B_DEQ = nextBinding;
  }
  const bindings = { w, colScale: opts.colScale, codes: out.codes, scales: out.scales, zeros: out.zeros, deq: out.deq };
  gpu.dispatch(QUANTIZE, { params, uniforms: u, bindings, workgroups: gpu.grid1D(Math.ceil((rows * nGroups) / WG)), label: 'quantize' });
  return out;
}

/** W = (codes - zero) * scale per group. */
export function dequantizeWeight(gpu: Gpu, q: GpuQuantized, spec: QuantSpec, cols: number, out?: Tensor): Tensor {
  const rows = q.codes.shape[0];
  const g = effectiveGroupSize(spec, cols);
  const nGroups = groupCount(spec, cols);
  const w = out ?? gpu.tensor([rows, cols], 'f32', 'dequantized');
  gpu.dispatch(DEQUANTIZE, {
    params: { WG: 256, G_IDX: !!q.gIdx },
    uniforms: { rows, cols, groupSize: g, nGroups },
    bindings: { codes: q.codes, scales: q.scales, zeros: q.zeros, w, gIdx: q.gIdx },
    workgroups: gpu.grid1D(Math.ceil((rows * cols) / 256)),
    label: 'dequantize',
  });
  return w;
}
