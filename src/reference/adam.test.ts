import { describe, expect, it } from 'vitest';
import { adamStepRef } from './adam';

describe('Adam twin', () => {
  it('first step moves each parameter by lr against the gradient sign (bias correction)', () => {
    const p = Float64Array.from([1, -2, 0.5]),
      m = new Float64Array(3),
      v = new Float64Array(3);
    adamStepRef(p, [0.3, -4, 1e-3], m, v, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, step: 1 });
    expect(p[0]).toBeCloseTo(0.9, 14);
    expect(p[1]).toBeCloseTo(-1.9, 14);
    expect(p[2]).toBeCloseTo(0.4, 14);
    expect(m[0]).toBeCloseTo(0.03, 15);
    expect(v[1]).toBeCloseTo(0.016, 15);
  });
  it('matches a hand-computed two-step case with L2 weight decay, eps and gradScale', () => {
    const o = { lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: 0.1, gradScale: 0.5 };
    const p = Float64Array.from([2]),
      m = new Float64Array(1),
      v = new Float64Array(1);
    // step 1: g = 0.5*1 + 0.1*2 = 0.7; m = 0.14; v = 0.049; mhat = 0.7; vhat = 0.49
    adamStepRef(p, [1], m, v, { ...o, step: 1 });
    let expected = 2 - (0.01 * 0.7) / (0.7 + 1e-3);
    expect(p[0]).toBeCloseTo(expected, 14);
    // step 2: g = 0.5*(-2) + 0.1*p
    const g = -1 + 0.1 * expected;
    const m2 = 0.8 * 0.14 + 0.2 * g,
      v2 = 0.9 * 0.049 + 0.1 * g * g;
    expected -= (0.01 * (m2 / (1 - 0.64))) / (Math.sqrt(v2 / (1 - 0.81)) + 1e-3);
    adamStepRef(p, [-2], m, v, { ...o, step: 2 });
    expect(m[0]).toBeCloseTo(m2, 14);
    expect(v[0]).toBeCloseTo(v2, 14);
    expect(p[0]).toBeCloseTo(expected, 14);
  });
  it('rejects step 0', () => {
    expect(() =>
      adamStepRef(new Float64Array(1), [1], new Float64Array(1), new Float64Array(1), { lr: 1, beta1: 0.9, beta2: 0.9, eps: 0, weightDecay: 0, step: 0 }),
    ).toThrow();
  });
});
