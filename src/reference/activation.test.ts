import { describe, expect, it } from 'vitest';
import { erf, erfc, geluBackwardRef, geluRef, reluBackwardRef, reluRef, swigluBackwardRef, swigluRef } from './activation';
import { randn } from './rng';
import { expectClose, numericGrad } from './testing';

describe('erf', () => {
  it('matches tabulated values', () => {
    // Reference values from standard tables (Abramowitz & Stegun / high-precision calculators).
    const table: [number, number][] = [
      [0, 0],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [-1, -0.8427007929497149],
      [3.5, 0.9999992569016276],
    ];
    for (const [x, v] of table) expect(Math.abs(erf(x) - v)).toBeLessThan(1e-14);
  });
  it('erfc keeps relative accuracy in the tail', () => {
    expect(Math.abs(erfc(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(-1) - 1.842700792949715)).toBeLessThan(1e-14);
  });
  it('is continuous where the series hands over to the continued fraction', () => {
    expect(Math.abs(erf(3 - 1e-12) - erf(3))).toBeLessThan(1e-13);
  });
});

describe('activation twins, hand-computed', () => {
  it('swiglu', () => {
    const y = swigluRef([0, 1, -2], [5, 2, 3]);
    expectClose(y, [0, 2 / (1 + Math.exp(-1)), (3 * -2) / (1 + Math.exp(2))], 1e-15);
  });
  it('relu and its gradient (0 at x = 0)', () => {
    expectClose(reluRef([-1, 0, 2.5]), [0, 0, 2.5], 0);
    expectClose(reluBackwardRef([7, 7, 7], [-1, 0, 2.5]), [0, 0, 7], 0);
  });
  it('gelu is x * Phi(x)', () => {
    // Phi(1) = 0.8413447460685429, Phi(-1) = 0.15865525393145707, Phi(3) = 0.9986501019683699
    expectClose(geluRef([0, 1, -1, 3]), [0, 0.8413447460685429, -0.15865525393145707, 3 * 0.9986501019683699], 1e-15);
  });
});

describe('activation backward twins vs central differences', () => {
  const n = 40;
  const x = Float64Array.from(randn(n, 11, 2));
  const u = Float64Array.from(randn(n, 12));
  const dy = Float64Array.from(randn(n, 13));
  it('swiglu', () => {
    const { dgate, dup } = swigluBackwardRef(dy, x, u);
    expectClose(
      dgate,
      numericGrad((g) => swigluRef(g, u), x, dy),
      1e-7,
    );
    expectClose(
      dup,
      numericGrad((uu) => swigluRef(x, uu), u, dy),
      1e-7,
    );
  });
  it('relu', () => {
    const xs = x.map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v)); // keep away from the kink
    expectClose(
      reluBackwardRef(dy, xs),
      numericGrad((z) => reluRef(z), xs, dy),
      1e-7,
    );
  });
  it('gelu', () => {
    expectClose(
      geluBackwardRef(dy, x),
      numericGrad((z) => geluRef(z), x, dy),
      1e-7,
    );
  });
});
