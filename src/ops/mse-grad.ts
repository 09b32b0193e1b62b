// Squared-error loss and its gradient in two dispatches (shaders/mse-grad.wgsl): replaces a
// reduction, a copy of the loss into a per-step slot, a subtraction and a scaling in training loops.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;
const ITEMS = 8;

/** Per-group partial sums (a, b, grad, partials), or FINAL: the sum of values into loss[slot]. */
const MSE_GRAD = defineKernel({
  shader: 'mse-grad',
  uniforms: { n: 'u32', groups: 'u32', gradScale: 'f32', lossScale: 'f32', slot: 'u32' },
  bindings: { a: 'read?', b: 'read?', grad: 'write?', partials: 'write?', values: 'read?', loss: 'write?' },
});

export interface MseGradOptions {
  /** grad = (a − b)·gradScale. */
  gradScale: number;
  /** loss[slot] = Σ(a − b)²·lossScale. */
  lossScale: number;
  loss: Tensor;
  slot: number;
  /** Where the gradient goes (a new tensor otherwise). */
  grad?: Tensor;
}

/** Writes Σ(a − b)²·lossScale into opts.loss[opts.slot] and returns (a − b)·gradScale. */
export function mseWithGrad(gpu: Gpu, a: Tensor, b: Tensor, opts: MseGradOptions): Tensor {
  if (a.size !== b.size) throw new Error(`mseWithGrad: ${a.size} and ${b.size} values`);
  if (opts.slot < 0 || opts.slot >= opts.loss.size) throw new Error(`mseWithGrad: slot ${opts.slot} outside loss [${opts.loss.size}]`);
  const grad = opts.grad ?? gpu.tensor(a.shape, 'f32', 'mse.grad');
  if (grad.size !== a.size) throw new Error(`mseWithGrad: grad has ${grad.size} values, a ${a.size}`);
  const groups = Math.max(1, Math.ceil(a.size / (WG * ITEMS)));
  const partials = gpu.tensor([groups], 'f32', 'mse.partials');
  const uniforms = { n: a.size, groups, gradScale: opts.gradScale, lossScale: opts.lossScale, slot: opts.slot };
  gpu.dispatch(MSE_GRAD, { params: { WG, ITEMS }, uniforms, bindings: { a, b, grad, partials }, workgroups: gpu.grid1D(groups), label: 'mse-grad' });
  gpu.dispatch(MSE_GRAD, { params: { WG, FINAL: true }, uniforms, bindings: { values: partials, loss: opts.loss }, workgroups: [1], label: 'mse-grad.final' });
  partials.release();
  return grad;
}

/** into[slot] = Σ x·scale in one dispatch (the final pass of mseWithGrad on any vector). */
export function sumInto(gpu: Gpu, x: Tensor, opts: { scale: number; into: Tensor; slot: number }): void {
  if (opts.slot < 0 || opts.slot >= opts.into.size) throw new Error(`sumInto: slot ${opts.slot} outside [${opts.into.size}]`);
  gpu.dispatch(MSE_GRAD, {
    params: { WG, FINAL: true },
    uniforms: { n: x.size, groups: x.size, gradScale: 0, lossScale: opts.scale, slot: opts.slot },
    bindings: { values: x, loss: opts.into },
    workgroups: [1],
    label: 'sum-into',
  });
}
