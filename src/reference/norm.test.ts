import { describe, expect, it } from 'vitest';
import { layerNormBackwardRef, layerNormRef, rmsNormBackwardRef, rmsNormRef } from './norm';
import { randn } from './rng';

/** Gradient of sum(dy * f(x)) with respect to x by central differences. */
function numericGrad(f: (x: Float64Array) => Float64Array, x: Float64Array, dy: ArrayLike<number>, h = 1e-6): Float64Array {
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

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

describe('norm twins, hand-computed', () => {
  it('rmsNorm of [3, 4] (rms = sqrt(12.5))', () => {
    const { y, rstd } = rmsNormRef([3, 4], [1, 2], 0);
    const r = 1 / Math.sqrt(12.5);
    expectClose(rstd, [r], 1e-15);
    expectClose(y, [3 * r, 8 * r], 1e-15);
  });
  it('layerNorm of [1, 3] (mean 2, variance 1)', () => {
    const { y, mean, rstd } = layerNormRef([1, 3], [2, 3], [0.5, -0.5], 0);
    expectClose(mean, [2], 0);
    expectClose(rstd, [1], 0);
    expectClose(y, [-2 + 0.5, 3 - 0.5], 1e-15);
  });
  it('eps enters under the square root', () => {
    expectClose(rmsNormRef([0, 0], [1, 1], 0.25).rstd, [2], 1e-15);
    expectClose(layerNormRef([5, 5], [1, 1], [0, 0], 0.25).rstd, [2], 1e-15);
  });
});

describe('norm backward twins vs central differences', () => {
  const T = 3,
    C = 7,
    eps = 1e-5;
  const x = Float64Array.from(randn(T * C, 21, 1.5));
  const w = Float64Array.from(randn(C, 22));
  const bias = Float64Array.from(randn(C, 23));
  const dy = Float64Array.from(randn(T * C, 24));
  it('rmsNorm dx and dweight', () => {
    const { rstd } = rmsNormRef(x, w, eps);
    const { dx, dweight } = rmsNormBackwardRef(dy, x, w, rstd);
    expectClose(
      dx,
      numericGrad((xs) => rmsNormRef(xs, w, eps).y, x, dy),
      1e-7,
    );
    expectClose(
      dweight,
      numericGrad((ws) => rmsNormRef(x, ws, eps).y, w, dy),
      1e-7,
    );
  });
  it('layerNorm dx, dweight and dbias', () => {
    const { mean, rstd } = layerNormRef(x, w, bias, eps);
    const { dx, dweight, dbias } = layerNormBackwardRef(dy, x, w, mean, rstd);
    expectClose(
      dx,
      numericGrad((xs) => layerNormRef(xs, w, bias, eps).y, x, dy),
      1e-7,
    );
    expectClose(
      dweight,
      numericGrad((ws) => layerNormRef(x, ws, bias, eps).y, w, dy),
      1e-7,
    );
    expectClose(
      dbias,
      numericGrad((bs) => layerNormRef(x, w, bs, eps).y, bias, dy),
      1e-7,
    );
  });
});
