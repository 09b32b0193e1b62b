import { describe, expect, it } from 'vitest';
import { ropeRef, type RopeOptions } from './rope';
import { randn } from './rng';

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

describe('rope twin', () => {
  it('hand case: D = 4, theta = 100, position 1 and the second pair turning by 1/10 rad', () => {
    // Token 0 is position 0 (identity); token 1 is position 1: pair 0 turns by 1 rad, pair 1 by 100^(-1/2).
    const x = [1, 2, 3, 4, 1, 2, 3, 4];
    const c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.1), s2 = Math.sin(0.1);
    const inter = ropeRef(x, { heads: 1, headDim: 4, seqLen: 2, theta: 100, style: 'interleaved' });
    expectClose(inter, [1, 2, 3, 4, 1 * c1 - 2 * s1, 1 * s1 + 2 * c1, 3 * c2 - 4 * s2, 3 * s2 + 4 * c2], 1e-15);
    const half = ropeRef(x, { heads: 1, headDim: 4, seqLen: 2, theta: 100, style: 'half' });
    // half style pairs (0, 2) and (1, 3)
    expectClose(half, [1, 2, 3, 4, 1 * c1 - 3 * s1, 2 * c2 - 4 * s2, 1 * s1 + 3 * c1, 2 * s2 + 4 * c2], 1e-15);
  });
  it('positions restart every seqLen tokens and shift by positionOffset', () => {
    const o: RopeOptions = { heads: 2, headDim: 6, seqLen: 3, theta: 10000, style: 'half' };
    const row = Float64Array.from(randn(12, 5));
    const x = new Float64Array(12 * 6);
    for (let t = 0; t < 6; t++) x.set(row, t * 12);
    const y = ropeRef(x, o);
    expectClose(y.subarray(4 * 12, 5 * 12), y.subarray(1 * 12, 2 * 12), 0);
    const shifted = ropeRef(x.subarray(0, 12), { ...o, seqLen: 1, positionOffset: 2 });
    expectClose(shifted, y.subarray(2 * 12, 3 * 12), 1e-15);
  });
  it('inverse undoes the rotation and norms are preserved', () => {
    const o: RopeOptions = { heads: 3, headDim: 8, seqLen: 5, theta: 500000, style: 'interleaved', positionOffset: 7 };
    const x = Float64Array.from(randn(10 * 24, 6));
    const y = ropeRef(x, o);
    expectClose(ropeRef(y, { ...o, inverse: true }), x, 1e-14);
    const n = (a: ArrayLike<number>) => Math.hypot(...Array.from(a));
    expect(Math.abs(n(y) - n(x))).toBeLessThan(1e-12 * n(x));
  });
  it('backward (inverse rotation) equals the transpose: <dy, R x> = <R^T dy, x>', () => {
    // RoPE is linear, so central differences are exact up to rounding; the adjoint identity is the
    // sharper check.
    const o: RopeOptions = { heads: 2, headDim: 4, seqLen: 4, theta: 10000, style: 'half', positionOffset: 3 };
    const x = Float64Array.from(randn(8 * 8, 7));
    const dy = Float64Array.from(randn(8 * 8, 8));
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
    const lhs = dot(dy, ropeRef(x, o));
    const rhs = dot(ropeRef(dy, { ...o, inverse: true }), x);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12);
    // and central differences of the forward twin, entry by entry
    const h = 1e-6;
    const back = ropeRef(dy, { ...o, inverse: true });
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice(), xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const fd = (dot(dy, ropeRef(xp, o)) - dot(dy, ropeRef(xm, o))) / (2 * h);
      expect(Math.abs(fd - back[i])).toBeLessThan(1e-8);
    }
  });
});
