import { describe, expect, it } from 'vitest';
import { teqEffectiveWeightRef, teqGradContribRef, teqSurrogateWeightRef } from './teq';
import { quantizeRef } from './quantize';
import { randn, randu } from './rng';
import type { QuantSpec } from '../core/quant-spec';

const rows = 6,
  cols = 40;
const w = randn(rows * cols, 3);
const alpha = randu(cols, 4, 0.5, 1.5);
const dW = randn(rows * cols, 5); // a fixed upstream gradient: L(α) = Σ dW ⊙ Weff(α)

function dAlpha(contrib: Float64Array): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += contrib[r * cols + c];
  return out;
}

function fdAlpha(spec: QuantSpec, full: boolean): Float64Array {
  const out = new Float64Array(cols);
  const h = 1e-6;
  const loss = (a: Float64Array) => teqSurrogateWeightRef(w, alpha, a, rows, cols, spec, full).reduce((acc, v, i) => acc + v * dW[i], 0);
  for (let j = 0; j < cols; j++) {
    const ap = Float64Array.from(alpha),
      am = Float64Array.from(alpha);
    ap[j] += h;
    am[j] -= h;
    out[j] = (loss(ap) - loss(am)) / (2 * h);
  }
  return out;
}

describe('TEQ gradient twin', () => {
  it('the surrogate equals the fake-quantized weight at α0', () => {
    const spec = { bits: 3, groupSize: 16, symmetric: false };
    const eff = teqEffectiveWeightRef(w, alpha, rows, cols, spec);
    for (const full of [true, false]) {
      const sur = teqSurrogateWeightRef(w, alpha, alpha, rows, cols, spec, full);
      sur.forEach((v, i) => expect(v).toBeCloseTo(eff[i], 10));
    }
  });
  it('with α = 1 the effective weight is the RTN weight', () => {
    const spec = { bits: 4, groupSize: 16, symmetric: false };
    const eff = teqEffectiveWeightRef(w, new Float64Array(cols).fill(1), rows, cols, spec);
    const rtn = quantizeRef(w, rows, cols, spec).deq;
    eff.forEach((v, i) => expect(v).toBeCloseTo(rtn[i], 12));
  });
  for (const [label, spec] of [
    ['asym g16 (ragged last group of 8)', { bits: 3, groupSize: 16, symmetric: false }],
    ['asym per-channel', { bits: 2, groupSize: 0, symmetric: false }],
    ['sym g16', { bits: 4, groupSize: 16, symmetric: true }],
  ] as [string, QuantSpec][]) {
    for (const full of [false, true]) {
      it(`${full ? 'full' : 'rounding-only'} straight-through dα matches finite differences, ${label}`, () => {
        const got = dAlpha(teqGradContribRef(w, alpha, dW, rows, cols, spec, full));
        const fd = fdAlpha(spec, full);
        const scale = Math.max(...fd.map(Math.abs));
        got.forEach((v, j) => expect(Math.abs(v - fd[j]) / scale).toBeLessThan(1e-6));
      });
    }
  }
  it('the two estimators differ (the rounding-only one sees the group scale)', () => {
    const spec = { bits: 3, groupSize: 16, symmetric: false };
    const a = dAlpha(teqGradContribRef(w, alpha, dW, rows, cols, spec, false));
    const b = dAlpha(teqGradContribRef(w, alpha, dW, rows, cols, spec, true));
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-3);
  });
});
