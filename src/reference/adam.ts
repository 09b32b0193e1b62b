// float64 twin of the Adam kernel (src/ops/adam.ts), torch.optim.Adam semantics: weight decay is
// L2 added to the gradient (not AdamW), bias correction with the 1-based step.
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, after this update. */
  step: number;
  /** Multiplies the raw gradient before anything else (e.g. 1/accumulation steps). Default 1. */
  gradScale?: number;
}

/** Updates param, m and v in place. */
export function adamStepRef(param: Float64Array, grad: ArrayLike<number>, m: Float64Array, v: Float64Array, o: AdamOptions): void {
  if (!(o.step >= 1)) throw new Error(`adamStepRef: step must be >= 1, got ${o.step}`);
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  const gs = o.gradScale ?? 1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * gs + o.weightDecay * param[i];
    m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + o.eps;
    param[i] -= (o.lr / bc1) * (m[i] / denom);
  }
}
