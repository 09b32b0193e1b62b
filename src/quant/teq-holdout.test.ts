import { describe, expect, it } from 'vitest';
import { alphaMovement, keepBetter, teqHoldoutWindows } from './teq-holdout';

describe('teqHoldoutWindows', () => {
  it('holds out the share, at least one window, and leaves one to train on', () => {
    expect(teqHoldoutWindows(128, 0.125)).toBe(16);
    expect(teqHoldoutWindows(16, 0.125)).toBe(2);
    expect(teqHoldoutWindows(4, 0.125)).toBe(1);
    expect(teqHoldoutWindows(2, 0.5)).toBe(1);
    expect(teqHoldoutWindows(1, 0.5)).toBe(0);
    expect(teqHoldoutWindows(128, 0)).toBe(0);
  });
});

describe('keepBetter', () => {
  const a = (v: number) => Float32Array.of(v);
  it('keeps the first score, then only a strictly lower finite one', () => {
    let k = keepBetter(null, 0, 2, a(1));
    k = keepBetter(k, 32, 2, a(5));
    expect(k.step).toBe(0);
    k = keepBetter(k, 64, NaN, a(6));
    expect(k.step).toBe(0);
    k = keepBetter(k, 96, 1.5, a(7));
    expect([k.step, k.loss, k.alpha[0]]).toEqual([96, 1.5, 7]);
  });
  it('copies α (the trainer keeps changing its own)', () => {
    const alpha = a(3);
    const k = keepBetter(null, 0, 1, alpha);
    alpha[0] = 4;
    expect(k.alpha[0]).toBe(3);
  });
  it('a non-finite start is replaced by any finite score', () => {
    expect(keepBetter(keepBetter(null, 0, NaN, a(1)), 32, 9, a(2)).step).toBe(32);
  });
});

describe('alphaMovement', () => {
  it('is the mean and max |ln α|', () => {
    const m = alphaMovement([1, 2, 0.5, 4]);
    expect(m.meanAbsLog).toBeCloseTo((0 + Math.LN2 + Math.LN2 + 2 * Math.LN2) / 4, 12);
    expect(m.maxAbsLog).toBeCloseTo(2 * Math.LN2, 12);
  });
});
