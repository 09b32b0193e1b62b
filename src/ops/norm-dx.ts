// Input gradient of RMSNorm / LayerNorm (norm.ts adds the weight gradients where they are wanted;
// training's norms are frozen), optionally plus a residual gradient: shaders/norm-dx-residual.wgsl.
// Float64 twin: rmsNormBackwardRef / layerNormBackwardRef(...).dx (+ residual).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { checkHalfOut, storageBindingsFit, type HalfOut } from './cast';

const ROW_WG = 256;

const NORM_DX = defineKernel({
  shader: 'norm-dx-residual',
  uniforms: { T: 'u32', C: 'u32', slot: 'u32' },
  bindings: { dy: 'read', x: 'read', weight: 'read', rstdIn: 'read', dx: 'write', meanIn: 'read?', residual: 'read?', dx16: 'write?', overflow: 'write?' },
});

export interface NormDxOptions {
  /** LayerNorm's per-row means (from the forward); RMSNorm when absent. */
  mean?: Tensor;
  /** Added to the result (same shape as x): the gradient arriving through a skip connection. */
  residual?: Tensor;
  out?: Tensor;
  /** Also write dx's f16 copy (ops/cast.ts, HalfOut). */
  half?: HalfOut | null;
}

/** Whether normBackwardDx with these options can also write dx's f16 copy (the device's storage bindings per stage). */
export function normDxHalfFits(gpu: Gpu, opts: Pick<NormDxOptions, 'mean' | 'residual'>): boolean {
  // dy, x, weight, rstd, dx, the mean and residual where given, the copy and the counters
  return storageBindingsFit(gpu, 7 + (opts.mean ? 1 : 0) + (opts.residual ? 1 : 0));
}

/** dx of y = norm(x)·w (+ b) given dy, the forward's rstd (and mean), plus opts.residual. */
export function normBackwardDx(gpu: Gpu, dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor, opts: NormDxOptions = {}): Tensor {
  const C = weight.size;
  if (C === 0 || x.size % C !== 0) throw new Error(`normBackwardDx: x has ${x.size} elements, not a multiple of C=${C}`);
  const T = x.size / C;
  for (const [name, t] of [
    ['dy', dy],
    ['residual', opts.residual],
    ['out', opts.out],
  ] as const) {
    if (t && t.size !== x.size) throw new Error(`normBackwardDx: ${name} has ${t.size} elements, x ${x.size}`);
  }
  if (rstd.size !== T || (opts.mean && opts.mean.size !== T)) throw new Error(`normBackwardDx: statistics must have ${T} rows`);
  const layerNorm = Boolean(opts.mean);
  const dx = opts.out ?? gpu.tensor(x.shape, 'f32', layerNorm ? 'layernorm.dx' : 'rmsnorm.dx');
  const half = opts.half;
  if (half) {
    checkHalfOut('normBackwardDx', dx, half);
    if (!normDxHalfFits(gpu, opts)) throw new Error("normBackwardDx: an f16 copy with these options exceeds the device's storage bindings per stage");
  }
  gpu.dispatch(NORM_DX, {
    // the residual takes the binding after the last one present
    params: {
      WG: ROW_WG,
      LAYERNORM: layerNorm,
      RESIDUAL: Boolean(opts.residual),
      B_RESIDUAL: (opts.mean ? 6 : 5) + (opts.residual ? 1 : 0),
      HALF_OUT: Boolean(half),
    },
    uniforms: { T, C, slot: half?.slot ?? 0 },
    bindings: { dy, x, weight, rstdIn: rstd, dx, meanIn: opts.mean, residual: opts.residual, dx16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(T),
    label: `${layerNorm ? 'layernorm' : 'rmsnorm'}.dx${opts.residual ? '+residual' : ''}`,
  });
  return dx;
}
