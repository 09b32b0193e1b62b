import { describe, it } from 'vitest';
import { layerNormBackwardRef, layerNormRef, rmsNormBackwardRef, rmsNormRef } from './norm';
import { randn } from './rng';
import { expectClose, numericGrad } from './testing';

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
