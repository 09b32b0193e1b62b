// Causal grouped-query attention from batched matmuls, so that its arithmetic runs on the matmul
// kernels (the tensor cores, where the precision policy of ops/precision.ts makes the operands f16).
// Per (sequence, kv group) g, with the rep query heads of g stacked along rows:
//   Q_g, dO_g [rep*seqLen, D]; K_g, V_g [seqLen, D]
//   forward:  S = scale·Q_g·K_gᵀ; P = causal row softmax of S, and lse; O_g = P·V_g
//   backward: S again; dP = dO_g·V_gᵀ; dS = P∘(dP − delta)·scale; dQ_g = dS·K_g;
//             dK_g = dSᵀ·Q_g and dV_g = Pᵀ·dO_g (their contracted rows run over all rep heads of
//             the group: the GQA sum)
// One batched matmul per product over batch*kvHeads groups; every score is computed, the causal mask
// applied by the softmax and dS kernels. Inputs, outputs and lse have the flash path's layouts
// (ops/attention-flash.ts) and meaning, so either backward can follow either forward. The S-sized
// scratch (batch*heads*seqLen² scores) lives only inside each call.
// Precision: with the policy on, the layout copies and the kernels that make P and dS write f16
// (overflow counted per operand class, as linearMatmul's conversions do) and the products are
// f16 x f16 -> f32; scores, the softmax, lse, delta and the dS arithmetic are f32. Without the
// policy everything is f32; once one of its classes has overflowed f16, attentionPath() takes the
// flash path (a call forced onto this path then hands f32 operands to linearMatmul).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { attentionScale, type AttentionOptions } from '../reference/attention';
import { attentionDelta, checkAttentionShapes } from './attention-flash';
import type { SubgroupTile } from './matmul';
import { halfCopyProducersOn, halfOperand, linearMatmul } from './precision';
import { checkHalfOut, type HalfOut } from './cast';

export interface MatmulAttentionOptions extends AttentionOptions {
  /** Forces the tensor-core kernel's tile of every product (tests on devices with small workgroup memory). */
  subgroupTile?: SubgroupTile;
}

const WG = 256;
const HEADS = defineKernel({
  shader: 'attention-heads',
  uniforms: { n: 'u32', seqLen: 'u32', groups: 'u32', rep: 'u32', D: 'u32', slot: 'u32' },
  bindings: { src: 'read', out: 'write', overflow: 'write?', out16: 'write?' },
});
const SOFTMAX = defineKernel({
  shader: 'attention-softmax',
  uniforms: { rows: 'u32', seqLen: 'u32', groups: 'u32', rep: 'u32' },
  bindings: { x: 'read', probs: 'write', lse: 'write' },
});
const DS = defineKernel({
  shader: 'attention-ds',
  uniforms: { n: 'u32', seqLen: 'u32', groups: 'u32', rep: 'u32', scale: 'f32', slot: 'u32' },
  bindings: { s: 'read', dp: 'read', lse: 'read', delta: 'read', probs: 'write', ds: 'write', overflow: 'write?' },
});

/** The f16 copies of the input gradients to write with them (each optional). */
export type AttentionGradHalves = { dq?: HalfOut | null; dk?: HalfOut | null; dv?: HalfOut | null };

/** The operand classes of the f16 overflow guard (P is a probability and cannot overflow). */
export const ATTENTION_HALF_CLASSES = ['attention.q', 'attention.k', 'attention.v', 'attention.dout', 'attention.ds'] as const;
type HalfClass = (typeof ATTENTION_HALF_CLASSES)[number];

/** The policy's counters and slots, one per class, or null: f32 operands throughout. */
type HalfSlots = Record<HalfClass, { counts: Tensor; slot: number }> | null;

function halfSlots(gpu: Gpu): HalfSlots {
  const slots = ATTENTION_HALF_CLASSES.map((key) => halfOperand(gpu, key));
  if (slots.some((s) => s === null)) return null;
  return Object.fromEntries(ATTENTION_HALF_CLASSES.map((key, i) => [key, slots[i]!])) as HalfSlots;
}

/** Where a class is f16 on this device now: all of them or none (a product's operands share a dtype). */
export function attentionHalfReady(gpu: Gpu): boolean {
  return halfSlots(gpu) !== null;
}

/** Sequence length, head dim, groups (batch*kvHeads), heads per group and score scale. */
function dims(o: AttentionOptions) {
  return { S: o.seqLen, D: o.headDim, G: o.batch * o.kvHeads, rep: o.heads / o.kvHeads, scale: attentionScale(o) };
}

/** A head-split copy; `owned`: the caller releases it after its products (else the registry keeps it). */
interface Split {
  t: Tensor;
  owned: boolean;
}

function done(...splits: Split[]): void {
  for (const s of splits) if (s.owned) s.t.release(); // later users of the buffers are ordered after these dispatches
}

function splitKind(o: AttentionOptions, rep: number): string {
  return `heads-f16|${o.seqLen}|${o.kvHeads}|${rep}|${o.headDim}`;
}

/**
 * Where the kernel that produces q (`rep` = heads / kvHeads), k or v (1) writes the f16 head split
 * that this path's products read (RoPE: ops/rope.ts, splitRep), counted under the class of
 * attention.q, attention.k or attention.v: the target, or null where the classes are not f16 now. After the
 * producer's dispatch, keepHeadSplit() registers it where split() looks.
 */
export function headSplitTarget(gpu: Gpu, o: AttentionOptions, rep: number, cls: 'attention.q' | 'attention.k' | 'attention.v'): HalfOut | null {
  const half = halfSlots(gpu);
  if (!half || !halfCopyProducersOn(gpu)) return null;
  const { S, D, G } = dims(o);
  return { copy: gpu.tensor([G, rep * S, D], 'f16', cls), ...half[cls] };
}

/** Registers a producer's head split of x (headSplitTarget) for split() to find; drops it where there is no room. */
export function keepHeadSplit(gpu: Gpu, x: Tensor, o: AttentionOptions, rep: number, target: HalfOut | null): void {
  if (target && !gpu.copies.put(x, splitKind(o, rep), target.copy)) target.copy.release();
}

/**
 * x [T, groups*rep*D] -> [batch*groups, rep*seqLen, D], f16 (counted in `half`) or f32. With
 * `keep`, an f16 split is kept in the registry of derived copies (gpu.copies) while x is unchanged:
 * the backward finds the forward's q, k and v splits there instead of splitting them again.
 */
function split(
  gpu: Gpu,
  x: Tensor,
  o: AttentionOptions,
  rep: number,
  half: { counts: Tensor; slot: number } | null,
  name: string,
  keep = false,
  inUse: readonly Split[] = [],
): Split {
  const { S, D, G } = dims(o);
  const kind = splitKind(o, rep);
  const found = half && keep ? gpu.copies.get(x, kind) : undefined;
  if (found) return { t: found, owned: false };
  const out = gpu.tensor([G, rep * S, D], half ? 'f16' : 'f32', name);
  gpu.dispatch(HEADS, {
    params: { WG, SPLIT: true, F16: half !== null, ELEM: half ? 'f16' : 'f32' },
    uniforms: { n: out.size, seqLen: S, groups: o.kvHeads, rep, D, slot: half?.slot ?? 0 },
    bindings: { src: x, out, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil(out.size / WG)),
    label: `${name} split`,
  });
  const kept =
    half !== null &&
    keep &&
    gpu.copies.put(
      x,
      kind,
      out,
      inUse.map((s) => s.t),
    );
  return { t: out, owned: !kept };
}

/** [batch*groups, rep*seqLen, D] (f32) -> [T, groups*rep*D]; with `half`, its f16 copy too (ops/cast.ts, HalfOut). */
function merge(gpu: Gpu, y: Tensor, o: AttentionOptions, rep: number, name: string, half?: HalfOut | null): Tensor {
  const { S, D } = dims(o);
  const out = gpu.tensor([o.batch * S, o.kvHeads * rep * D], 'f32', name);
  if (half) checkHalfOut('attention merge', out, half);
  gpu.dispatch(HEADS, {
    params: { WG, SPLIT: false, F16: Boolean(half), ELEM: 'f32', HALF_OUT: Boolean(half) },
    uniforms: { n: y.size, seqLen: S, groups: o.kvHeads, rep, D, slot: half?.slot ?? 0 },
    bindings: { src: y, out, overflow: half?.counts, out16: half?.copy },
    workgroups: gpu.grid1D(Math.ceil(y.size / WG)),
    label: `${name} merge`,
  });
  return out;
}

/** Threads per softmax row: a power of two in [32, 256], about seqLen/4 (as ops/softmax.ts). */
function rowWorkgroup(cols: number): number {
  let wg = 32;
  while (wg * 4 < cols && wg < 256) wg *= 2;
  return wg;
}

/** Forward; with `outHalf`, the output's f16 copy too (for the o projection). */
export function matmulAttention(gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, o: MatmulAttentionOptions, outHalf?: HalfOut | null): { out: Tensor; lse: Tensor } {
  const T = checkAttentionShapes('matmulAttention', q, k, v, o);
  const { S, rep, scale } = dims(o);
  const half = halfSlots(gpu);
  const qg = split(gpu, q, o, rep, half?.['attention.q'] ?? null, 'attention.q', true);
  const kg = split(gpu, k, o, 1, half?.['attention.k'] ?? null, 'attention.k', true, [qg]);
  const s = linearMatmul(gpu, qg.t, 'attention.q', kg.t, 'attention.k', { transB: true, alpha: scale, subgroupTile: o.subgroupTile });
  done(qg, kg);
  const p = gpu.tensor(s.shape, half ? 'f16' : 'f32', 'attention.p');
  const lse = gpu.tensor([T, o.heads], 'f32', 'attention.lse');
  const rows = s.size / S;
  gpu.dispatch(SOFTMAX, {
    params: { WG: rowWorkgroup(S), F16: half !== null, ELEM: half ? 'f16' : 'f32' },
    uniforms: { rows, seqLen: S, groups: o.kvHeads, rep },
    bindings: { x: s, probs: p, lse },
    workgroups: gpu.grid1D(rows),
    label: 'attention.softmax',
  });
  s.release();
  const vg = split(gpu, v, o, 1, half?.['attention.v'] ?? null, 'attention.v', true);
  const og = linearMatmul(gpu, p, 'attention.p', vg.t, 'attention.v', { subgroupTile: o.subgroupTile });
  p.release();
  done(vg);
  const out = merge(gpu, og, o, rep, 'attention.out', outHalf);
  og.release();
  return { out, lse };
}

/** Input gradients the matmul path leaves in its head split (unmerged) for a kernel that reads that layout. */
export type LeaveSplit = 'none' | 'qk' | 'qkv';

/**
 * Backward; with `gradHalves`, the f16 copies of the merged input gradients too. `leaveSplit`: dq
 * and dk ('qk') or all three ('qkv') stay in the head split [batch*kvHeads, rep*seqLen, D] (f32, no
 * copies) for a RoPE inverse that reads that layout (ops/rope.ts): merges fewer.
 */
export function matmulAttentionBackward(
  gpu: Gpu,
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  o: MatmulAttentionOptions,
  gradHalves: AttentionGradHalves = {},
  leaveSplit: LeaveSplit = 'none',
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  checkAttentionShapes('matmulAttentionBackward', q, k, v, o);
  const { S, D, G, rep, scale } = dims(o);
  const half = halfSlots(gpu);
  // delta and dout's split in one pass
  const dog: Split = { t: gpu.tensor([G, rep * S, D], half ? 'f16' : 'f32', 'attention.dout'), owned: true };
  const delta = attentionDelta(gpu, dout, out, o, { out: dog.t, half: half?.['attention.dout'] ?? null });
  // the forward's splits of q, k and v where they are kept (its inputs unchanged since)
  const qg = split(gpu, q, o, rep, half?.['attention.q'] ?? null, 'attention.q', true);
  const kg = split(gpu, k, o, 1, half?.['attention.k'] ?? null, 'attention.k', true, [qg]);
  const vg = split(gpu, v, o, 1, half?.['attention.v'] ?? null, 'attention.v', true, [qg, kg]);
  const s = linearMatmul(gpu, qg.t, 'attention.q', kg.t, 'attention.k', { transB: true, alpha: scale, subgroupTile: o.subgroupTile });
  const dp = linearMatmul(gpu, dog.t, 'attention.dout', vg.t, 'attention.v', { transB: true, subgroupTile: o.subgroupTile });
  done(vg);
  const elem = half ? 'f16' : 'f32';
  const p = gpu.tensor(s.shape, elem, 'attention.p');
  const ds = gpu.tensor(s.shape, elem, 'attention.ds');
  const dsSlot = half?.['attention.ds'];
  gpu.dispatch(DS, {
    params: { WG, F16: half !== null, ELEM: elem },
    uniforms: { n: s.size, seqLen: S, groups: o.kvHeads, rep, scale, slot: dsSlot?.slot ?? 0 },
    bindings: { s, dp, lse, delta, probs: p, ds, overflow: dsSlot?.counts },
    workgroups: gpu.grid1D(Math.ceil(s.size / WG)),
    label: 'attention.ds',
  });
  s.release();
  dp.release();
  delta.release();
  const dvg = linearMatmul(gpu, p, 'attention.p', dog.t, 'attention.dout', { transA: true, subgroupTile: o.subgroupTile });
  p.release();
  done(dog);
  const dqg = linearMatmul(gpu, ds, 'attention.ds', kg.t, 'attention.k', { subgroupTile: o.subgroupTile });
  done(kg);
  const dkg = linearMatmul(gpu, ds, 'attention.ds', qg.t, 'attention.q', { transA: true, subgroupTile: o.subgroupTile });
  ds.release();
  done(qg);
  if (leaveSplit === 'qkv') return { dq: dqg, dk: dkg, dv: dvg };
  const dv = merge(gpu, dvg, o, 1, 'attention.dv', gradHalves.dv);
  dvg.release();
  if (leaveSplit === 'qk') return { dq: dqg, dk: dkg, dv };
  const dq = merge(gpu, dqg, o, rep, 'attention.dq', gradHalves.dq);
  const dk = merge(gpu, dkg, o, 1, 'attention.dk', gradHalves.dk);
  dqg.release();
  dkg.release();
  return { dq, dk, dv };
}
