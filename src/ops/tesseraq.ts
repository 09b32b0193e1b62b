// Typed wrappers of the TesseraQ kernels (shaders/tesseraq-*.wgsl; float64 twins in
// src/reference/tesseraq.ts). One TqLinear holds a Linear's trainable rounding state on the GPU.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';
import { quantileRank, TQ_HIST_BINS } from '../core/tesseraq-schedule';
import { quantizeWeight, type GpuQuantized } from './quantize';
import { checkHalfOut, storageBindingsFit, type HalfOut } from './cast';

const WG = 256;
/** Threads per (row, group) workgroup of the gradient kernel (a power of two). */
const GRAD_WG = 64;
/** Lanes per (row, group) of the fused step: the group size's power of two, at most GRAD_WG (what
 *  the kernel gave a group when each had a workgroup of its own: the same sums, so the same bits).
 *  Groups of 32 took a workgroup of 64 each, half of it idle; now 8 share one of 256. */
function stepLanes(groupSize: number): number {
  return Math.min(GRAD_WG, 2 ** Math.ceil(Math.log2(Math.max(1, groupSize))));
}

/** The per-element kernels' shape uniforms: n = rows·cols. */
const ELEMENT_UNIFORMS = { n: 'u32', cols: 'u32', groupSize: 'u32', nGroups: 'u32' } as const;
const INIT = defineKernel({
  shader: 'tesseraq-init',
  uniforms: ELEMENT_UNIFORMS,
  bindings: { w: 'read', scales: 'read', zeros: 'read', v: 'write', state: 'write', sz: 'write' },
});
const SOFT_WEIGHT = defineKernel({
  shader: 'tesseraq-soft-weight',
  uniforms: { ...ELEMENT_UNIFORMS, qmax: 'f32', slot: 'u32' },
  bindings: { w: 'read', sz: 'read', v: 'read', u: 'read', state: 'read', out: 'write', out16: 'write?', overflow: 'write?' },
});
const GRAD = defineKernel({
  shader: 'tesseraq-grad',
  uniforms: { rows: 'u32', cols: 'u32', groupSize: 'u32', nGroups: 'u32', qmax: 'f32' },
  bindings: { w: 'read', sz: 'read', v: 'read', u: 'read', state: 'read', dW: 'read', dv: 'write', du: 'write' },
});
const STEP = defineKernel({
  shader: 'tesseraq-step',
  uniforms: {
    rows: 'u32',
    cols: 'u32',
    groupSize: 'u32',
    nGroups: 'u32',
    qmax: 'f32',
    beta1: 'f32',
    oneMinusBeta1: 'f32',
    beta2: 'f32',
    oneMinusBeta2: 'f32',
    eps: 'f32',
    invSqrtBc2: 'f32',
    stepSizeV: 'f32',
    weightDecayV: 'f32',
    stepSizeU: 'f32',
    weightDecayU: 'f32',
    slot: 'u32',
    gradScale: 'f32',
  },
  bindings: { w: 'read', sz: 'read', v: 'write', u: 'write', state: 'read', dW: 'read', adam: 'write', soft: 'write', soft16: 'write?', overflow: 'write?' },
});

/** Whether tqSoftWeight and tqStep can also write the soft weight's f16 copy (the step binds 10 storage buffers with it). */
export function tqHalfFits(gpu: Gpu): boolean {
  return storageBindingsFit(gpu, 10);
}

function checkHalf(op: string, gpu: Gpu, out: Tensor, half: HalfOut | null | undefined): void {
  if (!half) return;
  checkHalfOut(op, out, half);
  if (!tqHalfFits(gpu)) throw new Error(`${op}: the soft weight's f16 copy exceeds the device's storage bindings per stage`);
}
const HISTOGRAM = defineKernel({ shader: 'tesseraq-histogram', uniforms: { n: 'u32' }, bindings: { v: 'read', state: 'read', hist: 'write' } });
const THRESHOLD = defineKernel({ shader: 'tesseraq-threshold', uniforms: { rank: 'u32' }, bindings: { hist: 'read', thr: 'write' } });
const HARDEN = defineKernel({ shader: 'tesseraq-harden', uniforms: { n: 'u32', all: 'u32' }, bindings: { v: 'read', state: 'write', thr: 'read' } });
const STATS = defineKernel({
  shader: 'tesseraq-stats',
  uniforms: { ...ELEMENT_UNIFORMS, slot: 'u32' },
  bindings: { w: 'read', sz: 'read', v: 'read', state: 'read', stats: 'write' },
});
const EXPORT = defineKernel({
  shader: 'tesseraq-export',
  uniforms: { ...ELEMENT_UNIFORMS, qmax: 'f32' },
  bindings: { w: 'read', sz: 'read', v: 'read', u: 'read', state: 'read', codes: 'write', scales: 'write', zeros: 'write' },
});

export interface TqLinear {
  rows: number;
  cols: number;
  groupSize: number;
  nGroups: number;
  qmax: number;
  /** [rows, cols] the transformed full-precision weight (not owned: the block's tensor). */
  w: Tensor;
  /** [rows·nGroups, 2] frozen (s, z) pairs. */
  sz: Tensor;
  /** [rows, cols] rounding logits. */
  v: Tensor;
  /** [rows, nGroups] dequantization-scale logits. */
  u: Tensor;
  /** [rows, cols] u32: 0 soft, 1 hard down, 2 hard up. */
  state: Tensor;
}

function dims(spec: QuantSpec, w: Tensor) {
  const [rows, cols] = w.shape;
  return { rows, cols, groupSize: effectiveGroupSize(spec, cols), nGroups: groupCount(spec, cols), qmax: 2 ** spec.bits - 1 };
}

function grid(gpu: Gpu, n: number): [number, number] {
  return gpu.grid1D(Math.ceil(n / WG));
}

/**
 * Frozen s, z from min/max per group of W (the quantizer kernel itself, so RTN and TesseraQ share
 * one grid), v = rectsig⁻¹(frac(W/s)) (soft weight starts at W), u = 0, everything soft.
 */
export function tqInit(gpu: Gpu, w: Tensor, spec: QuantSpec): TqLinear {
  const d = dims(spec, w);
  const q = quantizeWeight(gpu, w, spec, { codes: true }) as GpuQuantized;
  const L: TqLinear = {
    ...d,
    w,
    sz: gpu.tensor([d.rows * d.nGroups, 2], 'f32', 'tq.sz'),
    v: gpu.tensor([d.rows, d.cols], 'f32', 'tq.v'),
    u: gpu.zeros([d.rows, d.nGroups], 'tq.u'),
    state: gpu.tensor([d.rows, d.cols], 'u32', 'tq.state'),
  };
  gpu.dispatch(INIT, {
    params: { WG },
    uniforms: { n: d.rows * d.cols, cols: d.cols, groupSize: d.groupSize, nGroups: d.nGroups },
    bindings: { w, scales: q.scales, zeros: q.zeros, v: L.v, state: L.state, sz: L.sz },
    workgroups: grid(gpu, d.rows * d.cols),
    label: 'tesseraq-init',
  });
  q.codes.release();
  q.scales.release();
  q.zeros.release();
  return L;
}

/** A TqLinear from given values (tests, resuming): s, z per group; v, state per element; u per group. */
export function tqFromValues(
  gpu: Gpu,
  w: Tensor,
  spec: QuantSpec,
  vals: { s: ArrayLike<number>; z: ArrayLike<number>; v: ArrayLike<number>; u: ArrayLike<number>; state: ArrayLike<number> },
): TqLinear {
  const d = dims(spec, w);
  const sz = new Float32Array(2 * d.rows * d.nGroups);
  for (let g = 0; g < d.rows * d.nGroups; g++) {
    sz[2 * g] = vals.s[g];
    sz[2 * g + 1] = vals.z[g];
  }
  return {
    ...d,
    w,
    sz: gpu.upload(sz, [d.rows * d.nGroups, 2], 'tq.sz'),
    v: gpu.upload(Float32Array.from(vals.v), [d.rows, d.cols], 'tq.v'),
    u: gpu.upload(Float32Array.from(vals.u), [d.rows, d.nGroups], 'tq.u'),
    state: gpu.upload(Uint32Array.from(vals.state), [d.rows, d.cols], 'tq.state'),
  };
}

/** Releases what tqInit allocated (not the weight). */
export function releaseTqLinear(L: TqLinear): void {
  L.sz.release();
  L.v.release();
  L.u.release();
  L.state.release();
}

/** Ŵ = (clamp(floor(W/s) + h + z, 0, qmax) − z)·s·2·rectsig(u), [rows, cols]; with `half` (tqHalfFits), its f16 copy too. */
export function tqSoftWeight(gpu: Gpu, L: TqLinear, out?: Tensor, half?: HalfOut | null): Tensor {
  const dst = out ?? gpu.tensor([L.rows, L.cols], 'f32', 'tq.softWeight');
  checkHalf('tqSoftWeight', gpu, dst, half);
  gpu.dispatch(SOFT_WEIGHT, {
    params: { WG, HALF_OUT: Boolean(half) },
    uniforms: { n: L.rows * L.cols, cols: L.cols, groupSize: L.groupSize, nGroups: L.nGroups, qmax: L.qmax, slot: half?.slot ?? 0 },
    bindings: { w: L.w, sz: L.sz, v: L.v, u: L.u, state: L.state, out: dst, out16: half?.copy, overflow: half?.counts },
    workgroups: grid(gpu, L.rows * L.cols),
    label: 'tesseraq-soft-weight',
  });
  return dst;
}

/** dL/dv [rows, cols] and dL/du [rows, nGroups] from dL/dŴ. */
export function tqGrad(gpu: Gpu, L: TqLinear, dW: Tensor, out?: { dv: Tensor; du: Tensor }): { dv: Tensor; du: Tensor } {
  if (dW.size !== L.rows * L.cols) throw new Error(`tqGrad: dW has ${dW.size} values, weight ${L.rows}x${L.cols}`);
  const dv = out?.dv ?? gpu.tensor([L.rows, L.cols], 'f32', 'tq.dv');
  const du = out?.du ?? gpu.tensor([L.rows, L.nGroups], 'f32', 'tq.du');
  gpu.dispatch(GRAD, {
    params: { WG: GRAD_WG },
    uniforms: { rows: L.rows, cols: L.cols, groupSize: L.groupSize, nGroups: L.nGroups, qmax: L.qmax },
    bindings: { w: L.w, sz: L.sz, v: L.v, u: L.u, state: L.state, dW, dv, du },
    workgroups: gpu.grid1D(L.rows * L.nGroups),
    label: 'tesseraq-grad',
  });
  return { dv, du };
}

/** Adam moments of one Linear for tqStep: [m_v, v_v (rows·cols each), m_u, v_u (rows·nGroups each)]. */
export function tqAdamState(gpu: Gpu, L: TqLinear): Tensor {
  return gpu.zeros([2 * L.rows * L.cols + 2 * L.rows * L.nGroups], 'tq.adam');
}

export interface TqStepOptions {
  /** 1-based Adam step (bias correction). */
  step: number;
  lr: number;
  scaleLr: number;
  scaleWeightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Multiplies dŴ before anything else (default 1): undoes the loss's scale (lossGradientScale). */
  gradScale?: number;
}

/**
 * One training step after backward, in one dispatch: the gradients of tqGrad, torch.optim.Adam on
 * v (weight decay 0) and on u (scaleLr, scaleWeightDecay), and the next soft weight into `soft`
 * (what tqSoftWeight would give with the new v, u). `adam` comes from tqAdamState. With `half`
 * (tqHalfFits), the soft weight's f16 copy too (ops/cast.ts, HalfOut).
 */
export function tqStep(gpu: Gpu, L: TqLinear, dW: Tensor, adam: Tensor, soft: Tensor, o: TqStepOptions, half?: HalfOut | null): void {
  if (dW.size !== L.rows * L.cols) throw new Error(`tqStep: dW has ${dW.size} values, weight ${L.rows}x${L.cols}`);
  if (soft.size !== L.rows * L.cols) throw new Error(`tqStep: soft has ${soft.size} values, weight ${L.rows}x${L.cols}`);
  if (adam.size !== 2 * L.rows * L.cols + 2 * L.rows * L.nGroups) throw new Error('tqStep: adam state is not from tqAdamState');
  if (!(o.step >= 1) || !Number.isInteger(o.step)) throw new Error(`tqStep: step must be an integer >= 1, got ${o.step}`);
  // Bias corrections in float64 on the CPU, as adamStep.
  const bc1 = 1 - Math.pow(o.beta1, o.step);
  const bc2 = 1 - Math.pow(o.beta2, o.step);
  checkHalf('tqStep', gpu, soft, half);
  const lanes = stepLanes(L.groupSize);
  gpu.dispatch(STEP, {
    params: { WG, SEG: lanes, HALF_OUT: Boolean(half) },
    uniforms: {
      rows: L.rows,
      cols: L.cols,
      groupSize: L.groupSize,
      nGroups: L.nGroups,
      qmax: L.qmax,
      beta1: o.beta1,
      oneMinusBeta1: 1 - o.beta1,
      beta2: o.beta2,
      oneMinusBeta2: 1 - o.beta2,
      eps: o.eps,
      invSqrtBc2: 1 / Math.sqrt(bc2),
      stepSizeV: o.lr / bc1,
      weightDecayV: 0,
      stepSizeU: o.scaleLr / bc1,
      weightDecayU: o.scaleWeightDecay,
      slot: half?.slot ?? 0,
      gradScale: o.gradScale ?? 1,
    },
    bindings: { w: L.w, sz: L.sz, v: L.v, u: L.u, state: L.state, dW, adam, soft, soft16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil((L.rows * L.nGroups * lanes) / WG)),
    label: 'tesseraq-step',
  });
}

/** Counts of the confidence bins [TQ_HIST_BINS] u32 (cleared first). */
export function tqHistogram(gpu: Gpu, L: TqLinear, hist?: Tensor): Tensor {
  const dst = hist ?? gpu.tensor([TQ_HIST_BINS], 'u32', 'tq.hist');
  gpu.clear(dst);
  gpu.dispatch(HISTOGRAM, {
    params: { WG },
    uniforms: { n: L.rows * L.cols },
    bindings: { v: L.v, state: L.state, hist: dst },
    workgroups: grid(gpu, L.rows * L.cols),
    label: 'tesseraq-histogram',
  });
  return dst;
}

/** thr[0] = the bin holding the 0-based sorted rank `rank` (u32 [1]). */
export function tqThreshold(gpu: Gpu, hist: Tensor, rank: number, thr?: Tensor): Tensor {
  const dst = thr ?? gpu.tensor([1], 'u32', 'tq.thr');
  gpu.dispatch(THRESHOLD, { uniforms: { rank }, bindings: { hist, thr: dst }, workgroups: [1], label: 'tesseraq-threshold' });
  return dst;
}

/** Soft entries with a confidence bin above thr[0] (all soft entries when thr is null) become hard. */
export function tqHarden(gpu: Gpu, L: TqLinear, thr: Tensor | null, scratch?: Tensor): void {
  const t = thr ?? scratch ?? gpu.tensor([1], 'u32', 'tq.thr');
  gpu.dispatch(HARDEN, {
    params: { WG },
    uniforms: { n: L.rows * L.cols, all: thr ? 0 : 1 },
    bindings: { v: L.v, state: L.state, thr: t },
    workgroups: grid(gpu, L.rows * L.cols),
    label: 'tesseraq-harden',
  });
  if (!thr && !scratch) t.release();
}

/** One hardening round: entries more confident than the t-quantile of |h − 0.5| become hard. */
export function tqHardenQuantile(gpu: Gpu, L: TqLinear, t: number, scratch?: { hist: Tensor; thr: Tensor }): void {
  const hist = tqHistogram(gpu, L, scratch?.hist);
  const thr = tqThreshold(gpu, hist, quantileRank(t, L.rows * L.cols), scratch?.thr);
  tqHarden(gpu, L, thr);
  if (!scratch) {
    hist.release();
    thr.release();
  }
}

/** Adds (hard count, flips against round-to-nearest) at stats[2·slot], stats[2·slot+1] (u32). */
export function tqStats(gpu: Gpu, L: TqLinear, stats: Tensor, slot: number): void {
  if (stats.dtype !== 'u32' || stats.size < 2 * slot + 2) throw new Error(`tqStats: stats must be u32 with room for slot ${slot}`);
  gpu.dispatch(STATS, {
    params: { WG },
    uniforms: { n: L.rows * L.cols, cols: L.cols, groupSize: L.groupSize, nGroups: L.nGroups, slot },
    bindings: { w: L.w, sz: L.sz, v: L.v, state: L.state, stats },
    workgroups: grid(gpu, L.rows * L.cols),
    label: 'tesseraq-stats',
  });
}

/** Integer codes (h > 0.5 for anything still soft), scales s·f and zero points z. */
export function tqExport(gpu: Gpu, L: TqLinear): GpuQuantized {
  const out: GpuQuantized = {
    codes: gpu.tensor([L.rows, L.cols], 'u32', 'codes'),
    scales: gpu.tensor([L.rows, L.nGroups], 'f32', 'scales'),
    zeros: gpu.tensor([L.rows, L.nGroups], 'f32', 'zeros'),
  };
  gpu.dispatch(EXPORT, {
    params: { WG },
    uniforms: { n: L.rows * L.cols, cols: L.cols, groupSize: L.groupSize, nGroups: L.nGroups, qmax: L.qmax },
    bindings: { w: L.w, sz: L.sz, v: L.v, u: L.u, state: L.state, codes: out.codes, scales: out.scales, zeros: out.zeros },
    workgroups: grid(gpu, L.rows * L.cols),
    label: 'tesseraq-export',
  });
  return out;
}
