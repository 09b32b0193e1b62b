import { describe, expect, it } from 'vitest';
import { alphaMovement, clearlyLower, keepBetter, pairedGain, selectionDecisions, TEQ_KEEP_Z, teqHoldoutWindows } from './teq-holdout';

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

describe('clearlyLower', () => {
  const f = (...v: number[]) => Float32Array.from(v);
  const mean = (w: Float32Array) => w.reduce((a, b) => a + b, 0) / w.length;
  it('asks for a paired gain beyond TEQ_KEEP_Z standard errors', () => {
    expect(TEQ_KEEP_Z).toBe(2);
    const kept = f(2, 2, 2, 2);
    // differences -0.1, -0.1, -0.1, -0.1: no spread, a clear gain
    const even = f(1.9, 1.9, 1.9, 1.9);
    expect(clearlyLower(mean(even), even, mean(kept), kept)).toBe(true);
    // differences -0.4, 0.1, 0.1, 0.0: mean -0.05, sd sqrt(0.17/3) = 0.238, SE 0.119: within noise
    const noisy = f(1.6, 2.1, 2.1, 2.0);
    expect(clearlyLower(mean(noisy), noisy, mean(kept), kept)).toBe(false);
    // differences -0.3, -0.2, -0.25, -0.25: mean -0.25, SE 0.0204 (hand-computed): clear
    const clear = f(1.7, 1.8, 1.75, 1.75);
    expect(clearlyLower(mean(clear), clear, mean(kept), kept)).toBe(true);
  });
  it('never keeps a higher or equal mean, and compares means alone without both per-window losses', () => {
    expect(clearlyLower(2, f(1, 3), 2, f(2, 2))).toBe(false);
    expect(clearlyLower(1.99, undefined, 2, f(2, 2))).toBe(true);
    expect(clearlyLower(1.99, f(1.99), 2, f(2))).toBe(true);
  });
  it('keepBetter holds the start against a step within the noise', () => {
    const start = keepBetter(null, 0, 2, Float32Array.of(1), f(2, 2, 2, 2));
    expect(keepBetter(start, 32, 2 - 0.05, Float32Array.of(2), f(1.6, 2.1, 2.1, 2.0)).step).toBe(0);
    expect(keepBetter(start, 64, 1.75, Float32Array.of(3), f(1.7, 1.8, 1.75, 1.75)).step).toBe(64);
  });
});

describe('pairedGain and the decisions replayed', () => {
  const f = (...v: number[]) => Float32Array.from(v);
  const kept = f(2, 2, 2, 2);
  it('is the mean paired gain over its standard error (hand-computed)', () => {
    // differences -0.3, -0.2, -0.25, -0.25: mean -0.25, sd sqrt(0.005 / 3), SE 0.0204124: 12.247 SEs lower
    expect(pairedGain(f(1.7, 1.8, 1.75, 1.75), kept)).toBeCloseTo(0.25 / Math.sqrt(0.005 / 3 / 4), 4);
    // differences -0.4, 0.1, 0.1, 0.0: mean -0.05, SE sqrt(0.17 / 3 / 4) = 0.119024: 0.42 SEs lower
    expect(pairedGain(f(1.6, 2.1, 2.1, 2.0), kept)).toBeCloseTo(0.05 / Math.sqrt(0.17 / 3 / 4), 4);
    // the other way round: as many SEs higher
    expect(pairedGain(kept, f(1.6, 2.1, 2.1, 2.0))).toBeCloseTo(-0.05 / Math.sqrt(0.17 / 3 / 4), 4);
  });
  it('has no value without both windows or with one, and is infinite or zero without spread', () => {
    expect(pairedGain(undefined, kept)).toBeUndefined();
    expect(pairedGain(f(1), f(2))).toBeUndefined();
    expect(pairedGain(f(1, 2), f(1, 2, 3))).toBeUndefined();
    expect(pairedGain(f(1.9, 1.9), f(2, 2))).toBe(Infinity);
    expect(pairedGain(f(2.1, 2.1), f(2, 2))).toBe(-Infinity);
    expect(pairedGain(f(2, 3), f(2, 3))).toBe(0);
  });
  it("replays keepBetter's choices: each score against the α kept when it came, with its margin", () => {
    const scores = [
      { step: 0, loss: 2, windows: kept },
      { step: 32, loss: 1.95, windows: f(1.6, 2.1, 2.1, 2.0) }, // 0.42 SEs: not kept
      { step: 64, loss: 1.75, windows: f(1.7, 1.8, 1.75, 1.75) }, // 12.2 SEs below the start: kept
      { step: 96, loss: 1.74, windows: f(1.69, 1.79, 1.74, 1.74) }, // 0.01 lower on every window: no spread, kept
    ];
    const d = selectionDecisions(scores);
    expect(d.map((x) => [x.step, x.against, x.kept])).toEqual([
      [0, undefined, true],
      [32, 0, false],
      [64, 0, true],
      [96, 64, true],
    ]);
    expect(d[0].z).toBeUndefined();
    expect(d[1].z).toBeCloseTo(0.42008, 4);
    expect(d[2].z).toBeCloseTo(12.2474, 3);
    // f32 windows: the differences are equal to rounding, so the spread is tiny, not zero
    expect(d[3].z!).toBeGreaterThan(1000);
    let k = null;
    for (const s of scores) k = keepBetter(k, s.step, s.loss, f(), s.windows);
    expect(k!.step).toBe(96);
  });
});

describe('alphaMovement', () => {
  it('is the mean and max |ln α|', () => {
    const m = alphaMovement([1, 2, 0.5, 4]);
    expect(m.meanAbsLog).toBeCloseTo((0 + Math.LN2 + Math.LN2 + 2 * Math.LN2) / 4, 12);
    expect(m.maxAbsLog).toBeCloseTo(2 * Math.LN2, 12);
  });
});
