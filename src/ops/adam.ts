// One Adam step in place on param, m and v (torch.optim.Adam semantics: weight decay is L2 added
// to the gradient, not AdamW; bias correction with the 1-based step).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;

const ADAM = defineKernel({
  shader: 'adam',
  uniforms: {
    n: 'u32',
    beta1: 'f32',
    oneMinusBeta1: 'f32',
    beta2: 'f32',
    oneMinusBeta2: 'f32',
    eps: 'f32',
    weightDecay: 'f32',
    gradScale: 'f32',
    stepSize: 'f32',
    invSqrtBc2: 'f32',
  },
  bindings: { param: 'write', grad: 'read', m: 'write', v: 'write' },
});

export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based count of this update. */
  step: number;
  /** Multiplies the raw gradient first (e.g. 1 / accumulation steps). Default 1. */
  gradScale?: number;
}

export function adamStep(gpu: Gpu, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamStepOptions): void {
  for (const t of [param, grad, m, v]) {
    if (t.dtype !== 'f32') throw new Error(`adamStep: ${t.name} is ${t.dtype}, not f32`);
    if (t.size !== param.size) throw new Error(`adamStep: ${t.name} has ${t.size} values, param ${param.size}`);
  }
  const bufs = new Set([param.buffer, grad.buffer, m.buffer, v.buffer]);
  if (bufs.size !== 4) throw new Error('adamStep: param, grad, m and v must be distinct buffers');
  if (!(o.step >= 1) || !Number.isInteger(o.step)) throw new Error(`adamStep: step must be an integer >= 1, got ${o.step}`);
  // Bias corrections in float64 on the CPU; the kernel only sees the two folded factors.
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  gpu.dispatch(ADAM, {
    params: { WG },
    uniforms: {
      n: param.size,
      beta1: o.beta1,
      oneMinusBeta1: 1 - o.beta1,
      beta2: o.beta2,
      oneMinusBeta2: 1 - o.beta2,
      eps: o.eps,
      weightDecay: o.weightDecay,
      gradScale: o.gradScale ?? 1,
      stepSize: o.lr / bc1,
      invSqrtBc2: 1 / Math.sqrt(bc2),
    },
    bindings: { param, grad, m, v },
    workgroups: gpu.grid1D(Math.ceil(param.size / WG)),
    label: 'adamStep',
  });
}
