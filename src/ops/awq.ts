// Wrappers of AWQ's kernels: activation magnitudes, candidate scales and the clip search.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';

const COL_ABS_MEAN = defineKernel({ shader: 'col-abs-mean', uniforms: { rows: 'u32', cols: 'u32' }, bindings: { x: 'read', out: 'write' } });
const AWQ_SCALES = defineKernel({ shader: 'awq-scales', uniforms: { cols: 'u32', ratio: 'f32' }, bindings: { xmean: 'read', s: 'write', invS: 'write' } });
const CLIP_SEARCH = defineKernel({
  shader: 'clip-search',
  uniforms: { rows: 'u32', cols: 'u32', groupSize: 'u32', nGroups: 'u32', bits: 'u32', tokens: 'u32' },
  bindings: { x: 'read', w: 'write', bestShrink: 'write' },
});

/** mean |x| per column of x [rows, cols]. */
export function colAbsMean(gpu: Gpu, x: Tensor): Tensor {
  const [rows, cols] = x.shape;
  const out = gpu.tensor([cols], 'f32', 'act-mean');
  gpu.dispatch(COL_ABS_MEAN, { params: { WG: 256 }, uniforms: { rows, cols }, bindings: { x, out }, workgroups: [cols], label: 'col-abs-mean' });
  return out;
}

/** s = normalised max(xmean^ratio, 1e-4), and 1/s. */
export function awqScales(gpu: Gpu, xmean: Tensor, ratio: number, s?: Tensor, invS?: Tensor): { s: Tensor; invS: Tensor } {
  const cols = xmean.size;
  s ??= gpu.tensor([cols], 'f32', 'awq-s');
  invS ??= gpu.tensor([cols], 'f32', 'awq-inv-s');
  gpu.dispatch(AWQ_SCALES, { params: { WG: 256 }, uniforms: { cols, ratio }, bindings: { xmean, s, invS }, workgroups: [1], label: 'awq-scales' });
  return { s, invS };
}

/**
 * Clamps w [rows, cols] in place to the best shrunk range per group; returns the shrink factors.
 * `plain`: the per-token loop even where the cached-error path applies (tests compare the two).
 */
export function clipSearch(gpu: Gpu, w: Tensor, xSample: Tensor, spec: QuantSpec, opts: { plain?: boolean } = {}): Tensor {
  const [rows, cols] = w.shape;
  const g = effectiveGroupSize(spec, cols);
  const nG = groupCount(spec, cols);
  const best = gpu.tensor([rows, nG], 'f32', 'clip-shrink');
  const WG = 64;
  // the cached-error path: whole groups of a multiple of 4 columns, at most 128 (registers)
  const GROUP4 = !opts.plain && g % 4 === 0 && g <= 128 && cols % g === 0 ? g / 4 : 0;
  gpu.dispatch(CLIP_SEARCH, {
    params: { WG, GROUP4 },
    uniforms: { rows, cols, groupSize: g, nGroups: nG, bits: spec.bits, tokens: xSample.shape[0] },
    bindings: { x: xSample, w, bestShrink: best },
    workgroups: gpu.grid1D(Math.ceil((rows * nG) / WG)),
    label: 'clip-search',
  });
  return best;
}
