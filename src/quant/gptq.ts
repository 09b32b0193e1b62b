// GPTQ (Frantar et al. 2022) as AutoGPTQ's `fasterquant` runs it, every matrix operation on the
// GPU (src/ops/gptq.ts). Per block, true-sequential sets (LLaMA: q,k,v | o | gate,up | down;
// OPT: q,k,v | out | fc1 | fc2): each set's Hessian H = 2·XᵀX/tokens comes from the block's
// forward with the earlier sets already quantized, and the members of a set share H and its
// factor. Per Linear: dead columns, 1% dampening of the mean diagonal (raised tenfold, at most
// three times, if the factorisation still meets a non-positive pivot), optional act-order,
// the upper Cholesky factor of H⁻¹, and the column loop in lazy batches of 128.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import { blockActivations, releaseActivations, type BatchShape } from '../model/block';
import { linearOf, type BlockWeights } from '../model/block-weights';
import { linearName, type LinearRole } from '../core/tensor-names';
import { diagonal, gptqColumns, hessian, prepareWeights, upperCholeskyOfInverse } from '../ops/gptq';
import { dequantizeWeight, quantizeWeight } from '../ops/quantize';
import { matmul } from '../ops/matmul';
import { withF32 } from '../ops/precision';
import { mul, sub } from '../ops/elementwise';
import { sumAll } from '../ops/reduce';
import { gptqPermutation, type GptqOptions } from '../reference/gptq';
import { groupCount, type QuantizedLinear, type QuantSpec } from '../core/quant-spec';
import { readQuantized } from './quantized-model';

export { GPTQ_DEFAULTS, type GptqOptions } from '../reference/gptq';

/** Raising the dampening tenfold this many times before giving up on a Hessian. */
const DAMP_RETRIES = 3;

/** The sets quantized one after the other inside a block; members of a set share their input. */
export function gptqSets(cfg: ModelConfig): LinearRole[][] {
  return cfg.arch === 'opt' ? [['q', 'k', 'v'], ['o'], ['fc1'], ['fc2']] : [['q', 'k', 'v'], ['o'], ['gate', 'up'], ['down']];
}

/** A Hessian made ready for the column loop: its factor, the column order, the dead columns. */
export interface GptqFactor {
  u: Tensor;
  /** perm[k] = the original column quantized k-th (u32). */
  perm: Tensor;
  /** 1 where an original column is dead (u32). */
  dead: Tensor;
  permOrder: Int32Array;
  deadColumns: number[];
  /** The dampening added to the diagonal (after any retries). */
  damp: number;
  /** H's diagonal as computed (before the dead-column fix): each input channel's importance. */
  diag: Float32Array;
  release(): void;
}

export async function gptqFactor(gpu: Gpu, h: Tensor, opts: GptqOptions): Promise<GptqFactor> {
  const n = h.shape[0];
  const d = diagonal(gpu, h);
  const diag = await d.readF32();
  d.release();
  const fixed = Array.from(diag, (v) => (v === 0 ? 1 : v));
  const deadColumns = fixed.flatMap((_, i) => (diag[i] === 0 ? [i] : []));
  const permOrder = gptqPermutation(fixed, opts.actOrder);
  const mean = fixed.reduce((a, b) => a + b, 0) / n;
  if (!Number.isFinite(mean)) throw new Error('GPTQ: the Hessian has non-finite entries (the calibration activations overflowed)');
  const perm = gpu.upload(Uint32Array.from(permOrder), [n], 'gptq.perm');
  const deadMask = new Uint32Array(n);
  for (const c of deadColumns) deadMask[c] = 1;
  const dead = gpu.upload(deadMask, [n], 'gptq.dead');
  let damp = opts.dampPercent * mean;
  for (let attempt = 0; ; attempt++) {
    const { u, status } = upperCholeskyOfInverse(gpu, h, perm, damp);
    const bad = (await status.read())[0] !== 0;
    status.release();
    if (!bad) {
      return { u, perm, dead, permOrder, deadColumns, damp, diag, release: () => [u, perm, dead].forEach((t) => t.release()) };
    }
    u.release();
    if (attempt >= DAMP_RETRIES) {
      perm.release();
      dead.release();
      throw new Error(
        `GPTQ: the ${n}-wide Hessian is not positive definite even with dampening ${damp.toExponential(2)}; use more calibration tokens or a larger gptqDamp`,
      );
    }
    damp *= 10;
  }
}

export interface GptqLinearResult {
  /** GPU codes/scales/zeros (the caller reads and releases them) and the dequantized weight. */
  codes: Tensor;
  scales: Tensor;
  zeros: Tensor;
  deq: Tensor;
  /** AutoGPTQ's loss estimate summed over rows (a GPU scalar slot in `losses`). */
  losses: Tensor;
}

/** GPTQ of one weight [rows, cols] with a prepared factor; the weight tensor is left as it was. */
export function gptqLinear(gpu: Gpu, weight: Tensor, f: GptqFactor, spec: QuantSpec, blockSize: number): GptqLinearResult {
  const [rows, cols] = weight.shape;
  const perChannel = !(spec.groupSize > 0) || spec.groupSize >= cols;
  let codes: Tensor, scales: Tensor, zeros: Tensor;
  if (perChannel) {
    // Per-channel parameters from the weights as given (AutoGPTQ finds them before the loop).
    const q = quantizeWeight(gpu, weight, { ...spec, groupSize: 0 }, { codes: true });
    [codes, scales, zeros] = [q.codes!, q.scales!, q.zeros!];
  } else {
    const nG = groupCount(spec, cols);
    codes = gpu.tensor([rows, cols], 'u32', 'gptq.codes');
    scales = gpu.tensor([rows, nG], 'f32', 'gptq.scales');
    zeros = gpu.tensor([rows, nG], 'f32', 'gptq.zeros');
  }
  const losses = gpu.zeros([rows], 'gptq.losses');
  const w = prepareWeights(gpu, weight, f.perm, f.dead);
  gptqColumns(gpu, w, f.u, f.perm, spec, { codes, scales, zeros, losses }, blockSize);
  w.release();
  // The loop's own q = (code − z)·s, by the kernel every consumer of the codes runs (bit for bit).
  const permuted = !perChannel && f.permOrder.some((p, i) => p !== i);
  const gIdx = permuted ? gpu.upload(gIdxOf(f.permOrder, spec, cols), [cols], 'gptq.g_idx') : undefined;
  const deq = dequantizeWeight(gpu, { codes, scales, zeros, gIdx }, spec, cols);
  gIdx?.release();
  return { codes, scales, zeros, deq, losses };
}

/** Σ_r Δ_r·H·Δ_rᵀ for Δ = a − b (b absent: Δ = a), into slot `slot` of `into`. */
function hessianNorm(gpu: Gpu, h: Tensor, a: Tensor, b: Tensor | null, into: Tensor, slot: number): void {
  const d = b ? sub(gpu, a, b) : a;
  const dh = matmul(gpu, d, h);
  const p = mul(gpu, dh, d);
  const s = sumAll(gpu, p);
  gpu.copy(s, into, 0, slot, 1);
  [dh, p, s].forEach((t) => t.release());
  if (b) d.release();
}

export interface GptqLayerReport {
  layer: string;
  /** ‖(W − Q)X‖² / ‖WX‖² on the calibration inputs, round-to-nearest (no error feedback) and GPTQ. */
  relErrRtn: number;
  relErrGptq: number;
  /** AutoGPTQ's own loss estimate Σ (w − q)²/U[i,i]²/2. */
  loss: number;
  damp: number;
  dead: number;
}

export interface GptqBlockReport {
  block: number;
  layers: GptqLayerReport[];
  /** H's diagonal per set (named by its first member): how much each input channel matters. */
  hessianDiag: Record<string, number[]>;
}

/**
 * GPTQ of one block on its calibration input x, true-sequentially. The block's Linears are
 * replaced in place by their dequantized weights (what the next set and the next block see).
 */
export async function gptqBlock(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  x: Tensor,
  shape: BatchShape,
  spec: QuantSpec,
  opts: GptqOptions,
  onSet?: (set: number, total: number) => void,
): Promise<{ linears: QuantizedLinear[]; report: GptqBlockReport }> {
  const sets = gptqSets(cfg);
  const linears: QuantizedLinear[] = [];
  const report: GptqBlockReport = { block: w.index, layers: [], hessianDiag: {} };
  for (const [si, set] of sets.entries()) {
    // The set's inputs in f32 (the Hessian's own product is f32): GPTQ's column loop turns a small
    // change of H into different codes, unpredictably (ARCHITECTURE.md, "Precision").
    const acts = withF32(gpu, () => blockActivations(gpu, cfg, w, x, shape));
    const h = hessian(gpu, acts.inputs[set[0]]!);
    releaseActivations(acts);
    const f = await gptqFactor(gpu, h, opts);
    report.hessianDiag[set[0]] = Array.from(f.diag);
    // Per member: ‖W‖²_H, ‖W − RTN(W)‖²_H, ‖W − GPTQ(W)‖²_H and AutoGPTQ's loss, read back once per set.
    const norms = gpu.zeros([4 * set.length], 'gptq.norms');
    for (const [mi, role] of set.entries()) {
      const l = linearOf(w, role);
      const r = gptqLinear(gpu, l.weight, f, spec, opts.blockSize);
      const rtn = quantizeWeight(gpu, l.weight, spec, { codes: false, dequant: true }).deq!;
      hessianNorm(gpu, h, l.weight, null, norms, 4 * mi);
      hessianNorm(gpu, h, l.weight, rtn, norms, 4 * mi + 1);
      hessianNorm(gpu, h, l.weight, r.deq, norms, 4 * mi + 2);
      const loss = sumAll(gpu, r.losses);
      gpu.copy(loss, norms, 0, 4 * mi + 3, 1);
      loss.release();
      r.losses.release();
      rtn.release();
      const name = linearName(cfg.arch, w.index, role);
      const q = await readQuantized(gpu, name, spec, r);
      if (opts.actOrder && groupCount(spec, q.cols) > 1) q.gIdx = gIdxOf(f.permOrder, spec, q.cols);
      linears.push(q);
      l.weight.release();
      l.weight = r.deq;
    }
    const n = Array.from(await norms.readF32());
    for (const [mi, role] of set.entries()) {
      const den = Math.max(n[4 * mi], 1e-30);
      report.layers.push({
        layer: linearName(cfg.arch, w.index, role),
        relErrRtn: n[4 * mi + 1] / den,
        relErrGptq: n[4 * mi + 2] / den,
        loss: n[4 * mi + 3],
        damp: f.damp,
        dead: f.deadColumns.length,
      });
    }
    norms.release();
    f.release();
    h.release();
    onSet?.(si + 1, sets.length);
  }
  return { linears, report };
}

/** The group of each original input column under act-order: its position in `perm` divided by g. */
export function gIdxOf(perm: ArrayLike<number>, spec: QuantSpec, cols: number): Uint32Array {
  const g = spec.groupSize > 0 ? Math.min(spec.groupSize, cols) : cols;
  const out = new Uint32Array(cols);
  for (let k = 0; k < cols; k++) out[perm[k]] = Math.floor(k / g);
  return out;
}
