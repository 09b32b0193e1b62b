// float64 twins of the TesseraQ kernels (shaders/tesseraq-*.wgsl), LLMC's tesseraq.py semantics:
//   h = soft ? rectsig(v) : (hard-up ? 1 : 0),  rectsig(x) = clamp(1.2·σ(x) − 0.1, 0, 1)
//   q = clamp(floor(W/s) + h + z, 0, qmax),     Ŵ = (q − z)·s·f,  f = 2·rectsig(u) per group
// s and z are frozen (min/max of the transformed W); v is per element, u per group.
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';
import { quantileRank, TQ_HARD_DOWN, TQ_HARD_UP, TQ_HIST_BINS, TQ_SOFT } from '../core/tesseraq-schedule';
import { quantizeRef } from './quantize';
import { mulberry32 } from './rng';

export interface TqLinearRef {
  rows: number;
  cols: number;
  groupSize: number;
  nGroups: number;
  qmax: number;
  /** [rows, cols] the (transformed) full-precision weight. */
  w: Float64Array;
  /** [rows, nGroups] frozen scale and zero point. */
  s: Float64Array;
  z: Float64Array;
  /** [rows, cols] rounding logits. */
  v: Float64Array;
  /** [rows, nGroups] dequantization-scale logits. */
  u: Float64Array;
  /** [rows, cols] TQ_SOFT / TQ_HARD_DOWN / TQ_HARD_UP. */
  state: Uint32Array;
}

export const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function rectSig(x: number): number {
  return Math.min(1, Math.max(0, 1.2 * sigmoid(x) - 0.1));
}

/** d rectsig / dx; zero where the clamp is active (torch.clamp passes the gradient at the bounds). */
export function rectSigGrad(x: number): number {
  const s = sigmoid(x);
  const hv = 1.2 * s - 0.1;
  return hv >= 0 && hv <= 1 ? 1.2 * s * (1 - s) : 0;
}

/** The logit whose rectsig is h, for h in [0, 1). */
export function rectSigInv(h: number): number {
  return -Math.log(1.2 / (h + 0.1) - 1);
}

export function tqGroupIndex(L: Pick<TqLinearRef, 'cols' | 'groupSize' | 'nGroups'>, i: number): number {
  const r = Math.floor(i / L.cols);
  return r * L.nGroups + Math.floor((i % L.cols) / L.groupSize);
}

export function hOf(L: TqLinearRef, i: number): number {
  const st = L.state[i];
  if (st === TQ_HARD_DOWN) return 0;
  if (st === TQ_HARD_UP) return 1;
  return rectSig(L.v[i]);
}

/** The histogram bin of a confidence score |h − 0.5|. */
export function scoreBin(score: number): number {
  return Math.min(Math.floor(score * 2 * TQ_HIST_BINS), TQ_HIST_BINS - 1);
}

/** The fractional part of W/s that round-to-nearest and the initial h both come from. */
export function fracOf(L: TqLinearRef, i: number): { floor: number; frac: number } {
  const t = L.w[i] / L.s[tqGroupIndex(L, i)];
  const floor = Math.floor(t);
  return { floor, frac: t - floor };
}

/** LLMC initialisation: s, z = min/max per group of W; v = rectsig⁻¹(frac(W/s)); u = 0; all soft. */
export function tqInitRef(w: ArrayLike<number>, rows: number, cols: number, spec: QuantSpec, sz?: { s: ArrayLike<number>; z: ArrayLike<number> }): TqLinearRef {
  const groupSize = effectiveGroupSize(spec, cols);
  const nGroups = groupCount(spec, cols);
  const q = sz ? null : quantizeRef(w, rows, cols, spec);
  const L: TqLinearRef = {
    rows,
    cols,
    groupSize,
    nGroups,
    qmax: 2 ** spec.bits - 1,
    w: Float64Array.from(w),
    s: Float64Array.from(sz ? sz.s : q!.scales),
    z: Float64Array.from(sz ? sz.z : q!.zeros),
    v: new Float64Array(rows * cols),
    u: new Float64Array(rows * nGroups),
    state: new Uint32Array(rows * cols),
  };
  for (let i = 0; i < rows * cols; i++) L.v[i] = rectSigInv(fracOf(L, i).frac);
  return L;
}

export function tqSoftWeightRef(L: TqLinearRef): Float64Array {
  const out = new Float64Array(L.rows * L.cols);
  for (let i = 0; i < out.length; i++) {
    const g = tqGroupIndex(L, i);
    const { floor } = fracOf(L, i);
    const q = Math.min(Math.max(floor + hOf(L, i) + L.z[g], 0), L.qmax);
    out[i] = (q - L.z[g]) * L.s[g] * 2 * rectSig(L.u[g]);
  }
  return out;
}

/** Gradients of the loss w.r.t. v (per element) and u (per group) given dL/dŴ. */
export function tqGradRef(L: TqLinearRef, dW: ArrayLike<number>): { dv: Float64Array; du: Float64Array } {
  const dv = new Float64Array(L.rows * L.cols);
  const du = new Float64Array(L.rows * L.nGroups);
  for (let i = 0; i < dv.length; i++) {
    const g = tqGroupIndex(L, i);
    const { floor } = fracOf(L, i);
    const x = floor + hOf(L, i) + L.z[g];
    const q = Math.min(Math.max(x, 0), L.qmax);
    const f = 2 * rectSig(L.u[g]);
    const soft = L.state[i] === TQ_SOFT;
    if (soft && x >= 0 && x <= L.qmax) dv[i] = dW[i] * L.s[g] * f * rectSigGrad(L.v[i]);
    du[g] += dW[i] * (q - L.z[g]) * L.s[g];
  }
  for (let g = 0; g < du.length; g++) du[g] *= 2 * rectSigGrad(L.u[g]);
  return { dv, du };
}

export function tqHistogramRef(L: TqLinearRef): Uint32Array {
  const hist = new Uint32Array(TQ_HIST_BINS);
  for (let i = 0; i < L.v.length; i++) hist[scoreBin(Math.abs(hOf(L, i) - 0.5))]++;
  return hist;
}

/** The bin holding the score of 0-based sorted rank `rank` (the last bin if the histogram is short). */
export function tqThresholdRef(hist: ArrayLike<number>, rank: number): number {
  let cum = 0;
  for (let k = 0; k < hist.length; k++) {
    cum += hist[k];
    if (cum > rank) return k;
  }
  return hist.length - 1;
}

/** Hardens soft entries whose score bin is above `bin` (or all with 'all'), by h > 0.5. */
export function tqHardenRef(L: TqLinearRef, bin: number | 'all'): void {
  for (let i = 0; i < L.v.length; i++) {
    if (L.state[i] !== TQ_SOFT) continue;
    const h = rectSig(L.v[i]);
    if (bin === 'all' || scoreBin(Math.abs(h - 0.5)) > bin) L.state[i] = h > 0.5 ? TQ_HARD_UP : TQ_HARD_DOWN;
  }
}

/** One hardening round at quantile t; returns the threshold bin. */
export function tqHardenQuantileRef(L: TqLinearRef, t: number): number {
  const bin = tqThresholdRef(tqHistogramRef(L), quantileRank(t, L.v.length));
  tqHardenRef(L, bin);
  return bin;
}

/** np.quantile(values, t) with linear interpolation: the exact threshold the histogram approximates. */
export function exactQuantile(values: ArrayLike<number>, t: number): number {
  const s = Float64Array.from(values).sort();
  const p = t * (s.length - 1);
  const lo = Math.floor(p);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (p - lo) * (s[hi] - s[lo]);
}

/** Hard entries, and entries whose rounding direction (h > 0.5) differs from round-to-nearest. */
export function tqStatsRef(L: TqLinearRef): { hard: number; flips: number } {
  let hard = 0;
  let flips = 0;
  for (let i = 0; i < L.v.length; i++) {
    if (L.state[i] !== TQ_SOFT) hard++;
    if (hOf(L, i) > 0.5 !== fracOf(L, i).frac >= 0.5) flips++;
  }
  return { hard, flips };
}

/** The stored result: codes with every soft entry rounded by h > 0.5, scales s·f, zero points z. */
export function tqExportRef(L: TqLinearRef): { codes: Float64Array; scales: Float64Array; zeros: Float64Array } {
  const codes = new Float64Array(L.rows * L.cols);
  for (let i = 0; i < codes.length; i++) {
    const g = tqGroupIndex(L, i);
    const h = hOf(L, i) > 0.5 ? 1 : 0;
    codes[i] = Math.min(Math.max(fracOf(L, i).floor + h + L.z[g], 0), L.qmax);
  }
  return { codes, scales: L.s.map((s, g) => s * 2 * rectSig(L.u[g])), zeros: Float64Array.from(L.z) };
}

/**
 * A random mid-training state for tests: logits inside the smooth range of rectsig, some saturated,
 * some hard entries, u in [−1.5, 1.5]. Every value is float32-representable so GPU and twin agree,
 * and s is the min/max scale stretched by 0.1% so that no W/s sits exactly on an integer (a
 * symmetric group's absmax does), where float32 and float64 floors may legitimately disagree.
 */
export function randomTqState(w: ArrayLike<number>, rows: number, cols: number, spec: QuantSpec, seed: number): TqLinearRef {
  const rand = mulberry32(seed);
  const wf = Float32Array.from(w);
  const q = quantizeRef(wf, rows, cols, spec);
  const L = tqInitRef(wf, rows, cols, spec, { s: Float32Array.from(q.scales, (x) => x * 1.001), z: q.zeros });
  for (let i = 0; i < L.v.length; i++) {
    const k = rand();
    if (k < 0.15) L.state[i] = rand() < 0.5 ? TQ_HARD_DOWN : TQ_HARD_UP;
    else if (k < 0.25)
      L.v[i] = Math.fround((rand() < 0.5 ? -1 : 1) * (3 + 2 * rand())); // saturated
    else L.v[i] = Math.fround(-2.2 + 4.4 * rand()); // strictly inside the smooth range
  }
  for (let g = 0; g < L.u.length; g++) L.u[g] = Math.fround(-1.5 + 3 * rand());
  return L;
}
