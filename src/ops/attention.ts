// Causal grouped-query attention: the flash path (ops/attention-flash.ts: tiled kernels, f32) or
// the matmul path (ops/attention-matmul.ts: batched matmuls, on the tensor cores where the
// precision policy is on), chosen per call by attentionPath(). Both take and give the same
// layouts: q/out [T, heads*D], k/v [T, kvHeads*D], lse [T, heads], with T = batch*seqLen; either
// backward can follow either forward.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { AttentionOptions } from '../reference/attention';
import { flashAttention, flashAttentionBackward, type FlashAttentionOptions } from './attention-flash';
import {
  attentionHalfReady,
  matmulAttention,
  matmulAttentionBackward,
  type AttentionGradHalves,
  type LeaveSplit,
  type MatmulAttentionOptions,
} from './attention-matmul';
import type { HalfOut } from './cast';
import { ATTENTION_MATMUL_MAX_SCORES_BYTES, ATTENTION_MATMUL_MIN_HEAD_DIM, attentionMinFlops, halfMinFlops } from './precision';

export type { AttentionOptions } from '../reference/attention';
export { pickTiles, type AttentionTiles } from './attention-flash';
export { headSplitTarget, keepHeadSplit, type LeaveSplit } from './attention-matmul';

export type AttentionPath = 'flash' | 'matmul';

export interface CausalAttentionOptions extends FlashAttentionOptions, MatmulAttentionOptions {
  /** Forces a path (tests and benchmarks); chosen by attentionPath() otherwise. */
  path?: AttentionPath;
}

/** Bytes of one score-sized f32 tensor (batch*heads*seqLen² scores) of the matmul path. */
export function attentionScoresBytes(o: AttentionOptions): number {
  return 4 * o.batch * o.heads * o.seqLen * o.seqLen;
}

/** The matmul path's peak scratch: scores and dP (f32) beside P and dS (f16) in its backward. */
export function matmulAttentionScratchBytes(o: AttentionOptions): number {
  return 3 * attentionScoresBytes(o);
}

/**
 * 'matmul' where its products run on the tensor cores (the policy is on, no attention operand class
 * has overflowed f16, the head dim is at least ATTENTION_MATMUL_MIN_HEAD_DIM and the score product
 * 2·batch·heads·seqLen²·D reaches attentionMinFlops() of the policy's minimum) and the scores stay under
 * ATTENTION_MATMUL_MAX_SCORES_BYTES and one binding; else 'flash'
 * (f32, so CI and --no-f16 are bit-identical to the engine before the matmul path).
 */
export function attentionPath(gpu: Gpu, o: AttentionOptions): AttentionPath {
  const minFlops = halfMinFlops(gpu);
  if (minFlops === null || o.headDim < ATTENTION_MATMUL_MIN_HEAD_DIM || !attentionHalfReady(gpu)) return 'flash';
  const scores = attentionScoresBytes(o);
  if (scores > ATTENTION_MATMUL_MAX_SCORES_BYTES || scores > gpu.device.limits.maxStorageBufferBindingSize) return 'flash';
  return 2 * (scores / 4) * o.headDim >= attentionMinFlops(minFlops) ? 'matmul' : 'flash';
}

const forced = new WeakMap<Gpu, AttentionPath>();

/** Tests only: every attention call on this device takes `path` (null: chosen by attentionPath() again). */
export function forceAttentionPath(gpu: Gpu, path: AttentionPath | null): void {
  if (path) forced.set(gpu, path);
  else forced.delete(gpu);
}

/** The path a call takes: its own option, the test override, or attentionPath(). */
export function pathOf(gpu: Gpu, o: CausalAttentionOptions): AttentionPath {
  return o.path ?? forced.get(gpu) ?? attentionPath(gpu, o);
}

/** Whether attentionPath() can choose 'matmul' on this device now (its memory is planned then). */
export function matmulAttentionPossible(gpu: Gpu): boolean {
  return halfMinFlops(gpu) !== null && attentionHalfReady(gpu);
}

/**
 * Forward. `outHalf`: where to write the output's f16 copy too (ops/cast.ts, HalfOut); only the
 * matmul path does (its layout copy writes the output), so the result says whether it was written.
 */
export function causalAttention(
  gpu: Gpu,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  o: CausalAttentionOptions,
  outHalf?: HalfOut | null,
): { out: Tensor; lse: Tensor; outHalf: HalfOut | null } {
  if (pathOf(gpu, o) === 'matmul') return { ...matmulAttention(gpu, q, k, v, o, outHalf), outHalf: outHalf ?? null };
  return { ...flashAttention(gpu, q, k, v, o), outHalf: null };
}

/**
 * Backward. `half`: the f16 copies of the input gradients to write (the matmul path writes them,
 * the flash path none: `halves` says which were). `leaveSplit`: on the matmul path, dq and dk ('qk')
 * or all three ('qkv') may stay in its head split (f32, no copies; the result's `split` says which
 * did) for a RoPE inverse that reads that layout (ops/rope.ts).
 */
export function causalAttentionBackward(
  gpu: Gpu,
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  o: CausalAttentionOptions,
  half: AttentionGradHalves = {},
  leaveSplit: LeaveSplit = 'none',
): { dq: Tensor; dk: Tensor; dv: Tensor; halves: AttentionGradHalves; split: LeaveSplit } {
  if (pathOf(gpu, o) === 'matmul') {
    const halves = leaveSplit === 'qkv' ? {} : leaveSplit === 'qk' ? { dv: half.dv } : half;
    return { ...matmulAttentionBackward(gpu, dout, q, k, v, out, lse, o, halves, leaveSplit), halves, split: leaveSplit };
  }
  return { ...flashAttentionBackward(gpu, dout, q, k, v, out, lse, o), halves: {}, split: 'none' };
}
