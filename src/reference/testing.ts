// Test helpers for the float64 twins: element-wise closeness and gradients by central differences.
import { expect } from 'vitest';

/** Gradient of sum(dy * f(x)) with respect to x by central differences. */
export function numericGrad(f: (x: Float64Array) => Float64Array, x: Float64Array, dy: ArrayLike<number>, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const loss = (xs: Float64Array) => f(xs).reduce((a, v, i) => a + v * dy[i], 0);
  for (let i = 0; i < x.length; i++) {
    const xp = x.slice(),
      xm = x.slice();
    xp[i] += h;
    xm[i] -= h;
    g[i] = (loss(xp) - loss(xm)) / (2 * h);
  }
  return g;
}

/** Same length, and every |a - b| within tol * max(1, |b|). */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}
