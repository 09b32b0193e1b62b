import { describe, expect, it } from 'vitest';
import {
  exactQuantile,
  fracOf,
  hOf,
  rectSig,
  rectSigGrad,
  rectSigInv,
  scoreBin,
  tqExportRef,
  tqGradRef,
  tqHardenQuantileRef,
  tqHardenRef,
  tqHistogramRef,
  tqInitRef,
  randomTqState,
  tqSoftWeightRef,
  tqStatsRef,
  tqThresholdRef,
  type TqLinearRef,
} from './tesseraq';
import { randn } from './rng';
import { TESSERAQ_SCHEDULES, TQ_HARD_DOWN, TQ_HARD_UP, TQ_HIST_BINS, TQ_SOFT, quantileRank } from '../core/tesseraq-schedule';

const spec = { bits: 3, groupSize: 32, symmetric: false };

function randomState(rows: number, cols: number, seed: number): TqLinearRef {
  return randomTqState(randn(rows * cols, seed), rows, cols, spec, seed + 1);
}

describe('TesseraQ twin: soft weight', () => {
  it('rectsig matches hand values and its inverse', () => {
    expect(rectSig(0)).toBeCloseTo(0.5, 15);
    expect(rectSig(-Math.log(11))).toBeCloseTo(0, 14); // 1.2/12 − 0.1
    expect(rectSig(Math.log(11))).toBeCloseTo(1, 14);
    expect(rectSig(10)).toBe(1);
    expect(rectSigGrad(10)).toBe(0);
    expect(rectSigGrad(0)).toBeCloseTo(0.3, 15); // 1.2 · 0.25
    for (const h of [0, 0.1, 0.37, 0.5, 0.93]) expect(rectSig(rectSigInv(h))).toBeCloseTo(h, 13);
  });

  it('initial soft weight is W except where the min/max zero point clamps (u = 0 gives f = 1)', () => {
    const rows = 5,
      cols = 70;
    const L = tqInitRef(randn(rows * cols, 3), rows, cols, spec);
    expect(L.nGroups).toBe(3);
    const w = tqSoftWeightRef(L);
    let compared = 0;
    for (let i = 0; i < w.length; i++) {
      const g = Math.floor(i / cols) * L.nGroups + Math.floor((i % cols) / 32);
      const x = L.w[i] / L.s[g] + L.z[g];
      if (x < 0 || x > L.qmax) continue;
      expect(w[i]).toBeCloseTo(L.w[i], 12);
      compared++;
    }
    expect(compared).toBeGreaterThan(w.length * 0.9);
  });

  it('hand-computed element: W=0.7, s=0.25, z=2, v=0, u=0 → q = 2 + 0.5 + 2, Ŵ = 0.625', () => {
    const L = tqInitRef([0.7], 1, 1, { bits: 4, groupSize: 0, symmetric: false }, { s: [0.25], z: [2] });
    L.v[0] = 0;
    expect(tqSoftWeightRef(L)[0]).toBeCloseTo((2 + 0.5) * 0.25, 15);
    L.u[0] = rectSigInv(0.6); // f = 1.2
    expect(tqSoftWeightRef(L)[0]).toBeCloseTo(2.5 * 0.25 * 1.2, 14);
    L.state[0] = TQ_HARD_UP;
    expect(tqSoftWeightRef(L)[0]).toBeCloseTo(3 * 0.25 * 1.2, 14);
    // clamp: z = 0 and negative W pins q at 0 whatever h is
    const C = tqInitRef([-0.7], 1, 1, { bits: 4, groupSize: 0, symmetric: false }, { s: [0.25], z: [0] });
    C.v[0] = 1;
    expect(tqSoftWeightRef(C)[0]).toBe(0);
  });
});

describe('TesseraQ twin: gradients vs central finite differences', () => {
  it('dv and du of L = ½‖Ŵ − T‖² on a ragged-group case with hard, saturated and clamped entries', () => {
    const rows = 5,
      cols = 70;
    const L = randomState(rows, cols, 11);
    // Force a few clamped entries: a zero point of 0 puts every negative weight below the grid.
    L.z[1] = 0;
    const target = randn(rows * cols, 12, 0.5);
    const loss = () => tqSoftWeightRef(L).reduce((a, w, i) => a + 0.5 * (w - target[i]) ** 2, 0);
    const dW = tqSoftWeightRef(L).map((w, i) => w - target[i]);
    const { dv, du } = tqGradRef(L, dW);
    const eps = 1e-6;
    let nonzero = 0;
    for (let i = 0; i < L.v.length; i++) {
      const v0 = L.v[i];
      L.v[i] = v0 + eps;
      const lp = loss();
      L.v[i] = v0 - eps;
      const lm = loss();
      L.v[i] = v0;
      const fd = (lp - lm) / (2 * eps);
      expect(Math.abs(dv[i] - fd)).toBeLessThan(1e-7 + 1e-6 * Math.abs(fd));
      if (L.state[i] !== TQ_SOFT) expect(dv[i]).toBe(0);
      if (dv[i] !== 0) nonzero++;
    }
    expect(nonzero).toBeGreaterThan(L.v.length / 2);
    for (let g = 0; g < L.u.length; g++) {
      const u0 = L.u[g];
      L.u[g] = u0 + eps;
      const lp = loss();
      L.u[g] = u0 - eps;
      const lm = loss();
      L.u[g] = u0;
      const fd = (lp - lm) / (2 * eps);
      expect(Math.abs(du[g] - fd)).toBeLessThan(1e-7 + 1e-6 * Math.abs(fd));
    }
  });
});

describe('TesseraQ twin: hardening', () => {
  it('histogram threshold agrees with np.quantile to one bin and hardens about 1 − t', () => {
    const rows = 16,
      cols = 96;
    const L = tqInitRef(randn(rows * cols, 21), rows, cols, spec);
    const n = rows * cols;
    const scores = Array.from({ length: n }, (_, i) => Math.abs(hOf(L, i) - 0.5));
    for (const t of [0.8, 0.5, 0.1]) {
      const M = { ...L, state: L.state.slice() };
      const bin = tqThresholdRef(tqHistogramRef(M), quantileRank(t, n));
      const tau = exactQuantile(scores, t);
      expect(Math.abs(scoreBin(tau) - bin)).toBeLessThanOrEqual(1);
      tqHardenQuantileRef(M, t);
      const { hard } = tqStatsRef(M);
      expect(Math.abs(hard / n - (1 - t))).toBeLessThan(0.01);
      // Every hardened entry is at least as confident as every soft one, and went its own way.
      let minHard = Infinity,
        maxSoft = -Infinity;
      for (let i = 0; i < n; i++) {
        if (M.state[i] === TQ_SOFT) maxSoft = Math.max(maxSoft, scores[i]);
        else {
          minHard = Math.min(minHard, scores[i]);
          expect(M.state[i]).toBe(rectSig(L.v[i]) > 0.5 ? TQ_HARD_UP : TQ_HARD_DOWN);
        }
      }
      expect(minHard).toBeGreaterThanOrEqual(maxSoft);
    }
  });

  it('threshold bin: hand-made histogram, and ranks past the end fall in the last bin', () => {
    const hist = new Uint32Array(TQ_HIST_BINS);
    hist[3] = 2;
    hist[10] = 5;
    hist[TQ_HIST_BINS - 1] = 3;
    expect(tqThresholdRef(hist, 0)).toBe(3);
    expect(tqThresholdRef(hist, 1)).toBe(3);
    expect(tqThresholdRef(hist, 2)).toBe(10);
    expect(tqThresholdRef(hist, 6)).toBe(10);
    expect(tqThresholdRef(hist, 7)).toBe(TQ_HIST_BINS - 1);
    expect(tqThresholdRef(hist, 100)).toBe(TQ_HIST_BINS - 1);
  });

  it('the schedule, round after round, ends with everything hard and hard entries never change', () => {
    const rows = 8,
      cols = 64;
    const L = tqInitRef(randn(rows * cols, 31), rows, cols, spec);
    let prevHard = 0;
    for (const t of TESSERAQ_SCHEDULES.short10) {
      const before = L.state.slice();
      tqHardenQuantileRef(L, t);
      for (let i = 0; i < before.length; i++) if (before[i] !== TQ_SOFT) expect(L.state[i]).toBe(before[i]);
      const { hard } = tqStatsRef(L);
      expect(hard).toBeGreaterThanOrEqual(prevHard);
      prevHard = hard;
    }
    expect(prevHard).toBeLessThan(rows * cols);
    tqHardenRef(L, 'all');
    expect(tqStatsRef(L).hard).toBe(rows * cols);
  });

  it('schedules are the published lists', () => {
    expect(TESSERAQ_SCHEDULES.paper20.length).toBe(20);
    expect(TESSERAQ_SCHEDULES.short10).toEqual([0.75, 0.5, 0.375, 0.25, 0.125, 0.09, 0.06, 0.04, 0.02, 0.005]);
    expect(quantileRank(0.5, 101)).toBe(50);
  });
});

describe('TesseraQ twin: export and statistics', () => {
  it('with everything hard, (codes − z)·scales is the soft weight', () => {
    const L = randomState(5, 70, 41);
    tqHardenRef(L, 'all');
    const soft = tqSoftWeightRef(L);
    const e = tqExportRef(L);
    for (let i = 0; i < soft.length; i++) {
      const g = Math.floor(i / 70) * L.nGroups + Math.floor((i % 70) / 32);
      expect(Number.isInteger(e.codes[i]) && e.codes[i] >= 0 && e.codes[i] <= L.qmax).toBe(true);
      expect((e.codes[i] - e.zeros[g]) * e.scales[g]).toBeCloseTo(soft[i], 12);
    }
  });

  it('at initialisation nothing is hard and nothing flips against round-to-nearest', () => {
    const L = tqInitRef(randn(4 * 40, 51), 4, 40, spec);
    expect(tqStatsRef(L)).toEqual({ hard: 0, flips: 0 });
    // Flip two entries by hand: the counts follow.
    const up = Array.from({ length: 160 }, (_, i) => i).filter((i) => fracOf(L, i).frac < 0.5);
    L.state[up[0]] = TQ_HARD_UP;
    L.v[up[1]] = 2;
    expect(tqStatsRef(L)).toEqual({ hard: 1, flips: 2 });
  });
});
