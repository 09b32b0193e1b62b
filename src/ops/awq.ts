// Wrappers of AWQ's kernels: activation magnitudes, candidate scales and the clip search.
import type { Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';

/** mean |x| per column of x [rows, cols]. */
export function colAbsMean(gpu: Gpu, x: Tensor): Tensor {
  const [rows, cols] = x.shape;
  const out = gpu.tensor([cols], 'f32', 'act-mean');
  gpu.dispatch({ shader: 'col-abs-mean.wgsl', params: { WG: 256 }, uniforms: [rows, cols], buffers: [x, out], workgroups: [cols], label: 'col-abs-mean' });
  return out;
}

/** s = normalised max(xmean^ratio, 1e-4), and 1/s. */
export function awqScales(gpu: Gpu, xmean: Tensor, ratio: number, s?: Tensor, invS?: Tensor): { s: Tensor; invS: Tensor } {
  const cols = xmean.size;
  s ??= gpu.tensor([cols], 'f32', 'awq-s');
  invS ??= gpu.tensor([cols], 'f32', 'awq-inv-s');
  gpu.dispatch({ shader: 'awq-scales.wgsl', params: { WG: 256 }, uniforms: [cols, f32(ratio)], buffers: [xmean, s, invS], workgroups: [1], label: 'awq-scales' });
  return { s, invS };
}

/** Clamps w [rows, cols] in place to the best shrunk range per group; returns the shrink factors. */
export function clipSearch(gpu: Gpu, w: Tensor, xSample: Tensor, spec: QuantSpec): Tensor {
  const [rows, cols] = w.shape;
  const g = effectiveGroupSize(spec, cols);
  const nG = groupCount(spec, cols);
  const best = gpu.tensor([rows, nG], 'f32', 'clip-shrink');
  const WG = 64;
  gpu.dispatch({
    shader: 'clip-search.wgsl',
    params: { WG },
    uniforms: [rows, cols, g, nG, spec.bits, xSample.shape[0]],
    buffers: [xSample, w, best],
    workgroups: gpu.grid1D(Math.ceil((rows * nG) / WG)),
    label: 'clip-search',
  });
  return best;
}
