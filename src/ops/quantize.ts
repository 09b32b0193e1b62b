// Typed wrappers of the quantizer kernels.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../quant/format';

const WG = 64;

export interface GpuQuantized {
  codes: Tensor;
  scales: Tensor;
  zeros: Tensor;
  /** [cols] u32, the group of each input column (GPTQ act-order); absent: contiguous groups. */
  gIdx?: Tensor;
}

function uniforms(w: Tensor, spec: QuantSpec) {
  const [rows, cols] = w.shape;
  const g = effectiveGroupSize(spec, cols);
  const nGroups = groupCount(spec, cols);
  return { rows, cols, g, nGroups, u: [rows, cols, g, nGroups, spec.bits, spec.symmetric ? 1 : 0] };
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
  const { rows, cols, nGroups, u } = uniforms(w, spec);
  const wantCodes = opts.codes ?? true;
  const wantDeq = opts.dequant ?? false;
  const buffers: Tensor[] = [w];
  if (opts.colScale) buffers.push(opts.colScale);
  const params: Record<string, number | boolean> = { WG, COLSCALE: !!opts.colScale, CODES: wantCodes, DEQUANT: wantDeq, UNSCALE: !!opts.unscale };
  const out: Partial<GpuQuantized> & { deq?: Tensor } = {};
  if (wantCodes) {
    out.codes = gpu.tensor([rows, cols], 'u32', 'codes');
    out.scales = gpu.tensor([rows, nGroups], 'f32', 'scales');
    out.zeros = gpu.tensor([rows, nGroups], 'f32', 'zeros');
    params.B_CODES = buffers.length + 1;
    params.B_SCALES = buffers.length + 2;
    params.B_ZEROS = buffers.length + 3;
    buffers.push(out.codes, out.scales, out.zeros);
  }
  if (wantDeq) {
    out.deq = gpu.tensor([rows, cols], 'f32', 'dequantized');
    params.B_DEQ = buffers.length + 1;
    buffers.push(out.deq);
  }
  gpu.dispatch({ shader: 'quantize.wgsl', params, uniforms: u, buffers, workgroups: gpu.grid1D(Math.ceil((rows * nGroups) / WG)), label: 'quantize' });
  return out;
}

/** W = (codes - zero) * scale per group. */
export function dequantizeWeight(gpu: Gpu, q: GpuQuantized, spec: QuantSpec, cols: number, out?: Tensor): Tensor {
  const rows = q.codes.shape[0];
  const g = effectiveGroupSize(spec, cols);
  const nGroups = groupCount(spec, cols);
  const w = out ?? gpu.tensor([rows, cols], 'f32', 'dequantized');
  gpu.dispatch({
    shader: 'dequantize.wgsl',
    params: { WG: 256, G_IDX: !!q.gIdx },
    uniforms: [rows, cols, g, nGroups],
    buffers: q.gIdx ? [q.codes, q.scales, q.zeros, w, q.gIdx] : [q.codes, q.scales, q.zeros, w],
    workgroups: gpu.grid1D(Math.ceil((rows * cols) / 256)),
    label: 'dequantize',
  });
  return w;
}
