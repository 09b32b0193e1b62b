// Wrappers of TEQ's kernels.
import type { Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../quant/format';

export type TeqEstimator = 'ste-full' | 'ste-round';

/** Per-element contributions to dα (sum them over rows: sumCols). See shaders/teq-grad.wgsl. */
export function teqGradContrib(gpu: Gpu, w: Tensor, alpha: Tensor, dWeff: Tensor, spec: QuantSpec, estimator: TeqEstimator): Tensor {
  const [rows, cols] = w.shape;
  const nG = groupCount(spec, cols);
  const out = gpu.tensor([rows, cols], 'f32', 'teq-contrib');
  const WG = 64;
  gpu.dispatch({
    shader: 'teq-grad.wgsl',
    params: { WG, FULL: estimator === 'ste-full' },
    uniforms: [rows, cols, effectiveGroupSize(spec, cols), nG, spec.bits, spec.symmetric ? 1 : 0],
    buffers: [w, alpha, dWeff, out],
    workgroups: gpu.grid1D(Math.ceil((rows * nG) / WG)),
    label: 'teq-grad',
  });
  return out;
}

export function clampMin(gpu: Gpu, x: Tensor, lo: number): void {
  gpu.dispatch({ shader: 'clamp-min.wgsl', params: { WG: 256 }, uniforms: [x.size, f32(lo)], buffers: [x], workgroups: gpu.grid1D(Math.ceil(x.size / 256)), label: 'clamp-min' });
}
