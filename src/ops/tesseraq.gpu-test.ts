// TesseraQ kernels against their float64 twins (src/reference/tesseraq.ts).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import {
  releaseTqLinear,
  tqExport,
  tqFromValues,
  tqGrad,
  tqHarden,
  tqHardenQuantile,
  tqHistogram,
  tqInit,
  tqSoftWeight,
  tqStats,
  tqThreshold,
  type TqLinear,
} from './tesseraq';
import { dequantizeWeight } from './quantize';
import {
  randomTqState,
  rectSigInv,
  tqExportRef,
  tqGradRef,
  tqHardenRef,
  tqHistogramRef,
  tqInitRef,
  tqSoftWeightRef,
  tqStatsRef,
  tqThresholdRef,
  type TqLinearRef,
} from '../reference/tesseraq';
import { quantizeRef } from '../reference/quantize';
import { mulberry32, randn } from '../reference/rng';
import { assertClose } from '../reference/compare';
import { quantileRank, TQ_HARD_DOWN, TQ_HARD_UP, TQ_HIST_BINS } from '../core/tesseraq-schedule';
import type { QuantSpec } from '../core/quant-spec';

const SHAPES: { rows: number; cols: number; spec: QuantSpec }[] = [
  { rows: 5, cols: 70, spec: { bits: 3, groupSize: 32, symmetric: false } }, // ragged last group
  { rows: 4, cols: 300, spec: { bits: 4, groupSize: 0, symmetric: false } }, // per channel: strided group loop
  { rows: 3, cols: 50, spec: { bits: 4, groupSize: 16, symmetric: true } },
  { rows: 7, cols: 10, spec: { bits: 2, groupSize: 4, symmetric: false } }, // a 2-wide last group
];

const label = (r: number, c: number, s: QuantSpec) => `${r}x${c} b${s.bits} g${s.groupSize}${s.symmetric ? ' sym' : ''}`;

function upload(gpu: Gpu, L: TqLinearRef, spec: QuantSpec): TqLinear {
  const w = gpu.upload(Float32Array.from(L.w), [L.rows, L.cols], 'w');
  return tqFromValues(gpu, w, spec, L);
}

function release(L: TqLinear): void {
  releaseTqLinear(L);
  L.w.release();
}

function expectEqual(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  if (got.length !== want.length) throw new Error(`${name}: length ${got.length} != ${want.length}`);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++)
    if (got[i] !== want[i]) {
      bad++;
      if (first < 0) first = i;
    }
  if (bad) throw new Error(`${name}: ${bad} of ${want.length} differ, first at ${first}: ${got[first]} vs ${want[first]}`);
}

async function readState(t: Tensor): Promise<Uint32Array> {
  return (await t.read()) as Uint32Array;
}

/** A state whose confidences sit at histogram bin centres (float32 h cannot change bins), plus hard entries. */
function binCentreState(rows: number, cols: number, spec: QuantSpec, seed: number): TqLinearRef {
  const L = randomTqState(randn(rows * cols, seed), rows, cols, spec, seed + 1);
  const r = mulberry32(seed + 2);
  for (let i = 0; i < L.v.length; i++) {
    if (L.state[i] !== 0 || Math.abs(L.v[i]) > 2.4) continue;
    const k = Math.floor(r() * (TQ_HIST_BINS - 2)); // the top bins are where saturation lands
    const h = 0.5 + ((r() < 0.5 ? -1 : 1) * (k + 0.5)) / (2 * TQ_HIST_BINS);
    L.v[i] = Math.fround(rectSigInv(h));
  }
  return L;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'init: frozen s, z and logits match the twin; the initial soft weight is W'(gpu) {
    for (const { rows, cols, spec } of SHAPES) {
      const name = label(rows, cols, spec);
      const w = randn(rows * cols, rows * 100 + cols);
      const wt = gpu.upload(w, [rows, cols], 'w');
      const L = tqInit(gpu, wt, spec);
      const sz = await L.sz.readF32();
      const s = sz.filter((_, i) => i % 2 === 0);
      const z = sz.filter((_, i) => i % 2 === 1);
      const q = quantizeRef(w, rows, cols, spec);
      assertClose(`${name} s`, s, q.scales, 1e-6);
      assertClose(`${name} z`, z, q.zeros, 0);
      const ref = tqInitRef(w, rows, cols, spec, { s, z });
      // Where W/s is an integer (a symmetric group's absmax), float32 may floor one lower and start
      // at frac ≈ 1 instead of 0: the same soft weight, so only the logits there are left out.
      const v = await L.v.readF32();
      const onInteger = (i: number) => {
        const t = w[i] / s[Math.floor(i / cols) * L.nGroups + Math.floor((i % cols) / L.groupSize)];
        return Math.abs(t - Math.round(t)) < 1e-4;
      };
      assertClose(
        `${name} v`,
        v.map((x, i) => (onInteger(i) ? 0 : x)),
        ref.v.map((x, i) => (onInteger(i) ? 0 : x)),
        1e-5,
      );
      expectEqual(`${name} state`, await readState(L.state), new Uint32Array(rows * cols));
      expectEqual(`${name} u`, await L.u.readF32(), new Float32Array(rows * L.nGroups));
      // Independent of the twin: h0 = frac(W/s) makes Ŵ = W wherever the grid does not clamp.
      const soft = await tqSoftWeight(gpu, L).readF32();
      const expect = Float64Array.from(w);
      for (let i = 0; i < w.length; i++) {
        const g = Math.floor(i / cols) * L.nGroups + Math.floor((i % cols) / L.groupSize);
        const x = w[i] / s[g] + z[g];
        if (x < 0 || x > L.qmax) expect[i] = soft[i]; // clamped: checked by the twin below
      }
      assertClose(`${name} Ŵ0 = W`, soft, expect, 1e-5);
      assertClose(`${name} Ŵ0 twin`, soft, tqSoftWeightRef(ref), 1e-5);
      release(L);
    }
  },

  async 'soft weight and gradients match the twin on a mid-training state'(gpu) {
    for (const { rows, cols, spec } of SHAPES) {
      const name = label(rows, cols, spec);
      const ref = randomTqState(randn(rows * cols, cols), rows, cols, spec, rows);
      const L = upload(gpu, ref, spec);
      assertClose(`${name} Ŵ`, await tqSoftWeight(gpu, L).readF32(), tqSoftWeightRef(ref), 1e-5);
      const dW = randn(rows * cols, rows + cols);
      const g = tqGrad(gpu, L, gpu.upload(dW, [rows, cols], 'dW'));
      const want = tqGradRef(ref, dW);
      assertClose(`${name} dv`, await g.dv.readF32(), want.dv, 1e-5);
      assertClose(`${name} du`, await g.du.readF32(), want.du, 1e-5);
      release(L);
    }
  },

  async 'hardening: histogram, threshold bin and new states match the twin round after round'(gpu) {
    const shapes = [...SHAPES, { rows: 40, cols: 300, spec: { bits: 2, groupSize: 64, symmetric: false } }];
    for (const { rows, cols, spec } of shapes) {
      const name = label(rows, cols, spec);
      const ref = binCentreState(rows, cols, spec, rows * cols);
      const L = upload(gpu, ref, spec);
      const n = rows * cols;
      for (const t of [0.75, 0.5, 0.125, 0.005]) {
        const hist = tqHistogram(gpu, L);
        const wantHist = tqHistogramRef(ref);
        expectEqual(`${name} t=${t} histogram`, (await hist.read()) as Uint32Array, wantHist);
        const thr = tqThreshold(gpu, hist, quantileRank(t, n));
        const wantBin = tqThresholdRef(wantHist, quantileRank(t, n));
        expectEqual(`${name} t=${t} threshold`, (await thr.read()) as Uint32Array, [wantBin]);
        tqHarden(gpu, L, thr);
        tqHardenRef(ref, wantBin);
        expectEqual(`${name} t=${t} states`, await readState(L.state), ref.state);
        hist.release();
        thr.release();
      }
      tqHarden(gpu, L, null);
      tqHardenRef(ref, 'all');
      const st = await readState(L.state);
      expectEqual(`${name} all hard`, st, ref.state);
      if (st.some((x) => x !== TQ_HARD_DOWN && x !== TQ_HARD_UP)) throw new Error(`${name}: soft entries left`);
      release(L);
    }
  },

  async 'threshold kernel on hand-made histograms (rank in the first, a middle and past the last bin)'(gpu) {
    const hist = new Uint32Array(TQ_HIST_BINS);
    hist[0] = 1;
    hist[17] = 4;
    hist[2049] = 1000;
    hist[TQ_HIST_BINS - 1] = 7;
    const h = gpu.upload(hist, [TQ_HIST_BINS], 'hist');
    for (const [rank, bin] of [
      [0, 0],
      [1, 17],
      [4, 17],
      [5, 2049],
      [1004, 2049],
      [1005, TQ_HIST_BINS - 1],
      [1011, TQ_HIST_BINS - 1],
      [5000, TQ_HIST_BINS - 1],
    ]) {
      const thr = tqThreshold(gpu, h, rank);
      expectEqual(`rank ${rank}`, (await thr.read()) as Uint32Array, [bin]);
      thr.release();
    }
    h.release();
  },

  async 'one quantile round hardens about 1 − t of a fresh Linear, the most confident first'(gpu) {
    const rows = 64,
      cols = 128;
    const L = tqInit(gpu, gpu.upload(randn(rows * cols, 5), [rows, cols], 'w'), { bits: 3, groupSize: 32, symmetric: false });
    tqHardenQuantile(gpu, L, 0.8);
    const st = await readState(L.state);
    const v = await L.v.readF32();
    const hard = st.reduce((a, x) => a + (x !== 0 ? 1 : 0), 0);
    if (Math.abs(hard / st.length - 0.2) > 0.01) throw new Error(`hardened ${hard / st.length}, want about 0.2`);
    let minHard = Infinity,
      maxSoft = 0;
    for (let i = 0; i < st.length; i++) {
      const c = Math.abs(v[i]); // |h − 0.5| grows with |v|
      if (st[i]) minHard = Math.min(minHard, c);
      else maxSoft = Math.max(maxSoft, c);
    }
    if (!(minHard >= maxSoft * 0.999)) throw new Error(`a hard entry (|v| ${minHard}) is less confident than a soft one (${maxSoft})`);
    release(L);
  },

  async 'statistics and export match the twin; exported codes dequantize to the hard soft weight'(gpu) {
    for (const { rows, cols, spec } of SHAPES) {
      const name = label(rows, cols, spec);
      const ref = randomTqState(randn(rows * cols, 7 * cols), rows, cols, spec, 3 * rows);
      const L = upload(gpu, ref, spec);
      const stats = gpu.zeros([6], 'stats', 'u32');
      tqStats(gpu, L, stats, 1);
      const want = tqStatsRef(ref);
      expectEqual(`${name} stats`, (await stats.read()) as Uint32Array, [0, 0, want.hard, want.flips, 0, 0]);
      const e = tqExport(gpu, L);
      const we = tqExportRef(ref);
      expectEqual(`${name} codes`, (await e.codes.read()) as Uint32Array, we.codes);
      assertClose(`${name} scales`, await e.scales.readF32(), we.scales, 1e-6);
      expectEqual(`${name} zeros`, await e.zeros.readF32(), we.zeros);
      tqHarden(gpu, L, null);
      tqHardenRef(ref, 'all');
      const deq = dequantizeWeight(gpu, e, spec, cols);
      assertClose(`${name} deq = Ŵ`, await deq.readF32(), await tqSoftWeight(gpu, L).readF32(), 1e-6);
      assertClose(`${name} deq twin`, await deq.readF32(), tqSoftWeightRef(ref), 1e-5);
      [stats, e.codes, e.scales, e.zeros, deq].forEach((t) => t.release());
      release(L);
    }
  },
};
