// One transformer block, forward and backward, for both families:
//   LLaMA: x1 = x + o(attn(rope(q(n1 x)), rope(k(n1 x)), v(n1 x)));  y = x1 + down(silu(gate(n2 x1)) * up(n2 x1))
//   OPT:   the same with LayerNorm, no RoPE, biases everywhere and fc2(relu(fc1(n2 x1)));
//          post-norm OPT (opt-350m) normalises after each residual sum instead (postNormForward).
// Backward returns the input gradient and, on request, the gradients of the Linears' effective
// weights (all, or those named: what the methods turn into gradients of their own parameters).
// Under the precision policy the kernels that produce a Linear's operands (the norms, attention's
// merges, RoPE's inverse, SwiGLU, the norms' input gradients) write their f16 copies themselves
// (ops/precision.ts, halfCopyTarget), and RoPE writes attention's q and k head splits: one dispatch
// each instead of a producer and a conversion. The MLP norm adds the residual before it. Where q's,
// k's and v's weights lie side by side in one buffer, and gate's and up's (TEQ's trainer keeps them
// so), each set is one product each way (ARCHITECTURE.md, "Linears side by side").
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import type { LinearRole } from '../core/tensor-names';
import { linearOf, sideBySideWeight, SIDE_BY_SIDE_ROLES, type BlockWeights, type LinearWeights, type NormWeights } from './block-weights';
import { allHalfCopies, halfCopyTarget, keepHalfCopy, linearMatmul, type HalfCopyTarget } from '../ops/precision';
import { add } from '../ops/elementwise';
import { rmsNorm, layerNorm, normForwardFits } from '../ops/norm';
import { normBackwardDx, normDxHalfFits } from '../ops/norm-dx';
import { ropeInputs, ropeSideBySide, ropeSideBySideInverse, ropeSplitsV } from '../ops/rope';
import { layerRope } from '../reference/rope';
import { causalAttention, causalAttentionBackward, headSplitTarget, keepHeadSplit, pathOf } from '../ops/attention';
import { swiglu, swigluBackward, swigluSideBySide, swigluSideBySideBackward, relu, reluBackward, gelu, geluBackward } from '../ops/activation';

/** LLaMA's gate and up: one product each way where their weights lie side by side (block-weights.ts). */
const GATE_UP = SIDE_BY_SIDE_ROLES[0];
/** q, k and v: one product each way where their weights lie side by side. */
const QKV = SIDE_BY_SIDE_ROLES[1];

export interface BatchShape {
  batch: number;
  seqLen: number;
}

/** Qwen3's per-head norms of q and k: their inputs (the products' outputs) and statistics. */
export interface HeadNormActivations {
  q: Tensor;
  k: Tensor;
  qRstd: Tensor;
  kRstd: Tensor;
}

/** Tensors kept from the forward pass for backward and for calibration statistics. */
export interface BlockActivations {
  x: Tensor;
  /** Inputs of each Linear (shared where Linears share an input). */
  inputs: Partial<Record<LinearRole, Tensor>>;
  norm1: { rstd: Tensor; mean?: Tensor };
  norm2: { rstd: Tensor; mean?: Tensor };
  q?: Tensor;
  k?: Tensor;
  v?: Tensor;
  headNorm?: HeadNormActivations;
  /** Post-norm OPT: the residual sums its norms read (x + o, and x1 + the MLP's output). */
  sums?: { attn: Tensor; mlp: Tensor };
  attn?: Tensor;
  lse?: Tensor;
  x1?: Tensor;
  /** LLaMA: gate and up outputs (or both side by side in gateUp, where their weights are); OPT: fc1 output (pre-activation). */
  gate?: Tensor;
  up?: Tensor;
  gateUp?: Tensor;
  fc1?: Tensor;
}

/** y = x·Wᵀ (+ bias); `role` names the operands for the f16 overflow guard (ops/precision.ts). */
export function linear(gpu: Gpu, x: Tensor, l: LinearWeights, role = 'linear'): Tensor {
  return linearMatmul(gpu, x, `${role}.in`, l.weight, `${role}.weight`, { transB: true, bias: l.bias });
}

/**
 * Where the product of Linear `role` will read a [tokens, ...] tensor as its `operand` in f16: the
 * f16 copy its producer writes (ops/precision.ts), or null (that product stays f32).
 */
function halfFor(gpu: Gpu, w: BlockWeights, role: LinearRole, operand: 'in' | 'dout', shape: readonly number[]): HalfCopyTarget | null {
  const l = w.linears[role];
  if (!l) return null;
  const [outF, inF] = l.weight.shape;
  const tokens = shape.reduce((a, d) => a * d, 1) / shape[shape.length - 1];
  return halfCopyTarget(gpu, shape, `${role}.${operand}`, 2 * tokens * outF * inF);
}

/** Registers a producer's copy where it was written (`written`), else gives the target's buffer back. */
function keepIfWritten(gpu: Gpu, out: Tensor, target: HalfCopyTarget | null, written: boolean): void {
  if (!target) return;
  if (written) keepHalfCopy(gpu, out, target);
  else target.copy.release();
}

/** The role whose weight gradient a block's incoming dy meets first (the last Linear of its MLP). */
function lastRole(cfg: ModelConfig): LinearRole {
  return cfg.arch === 'llama' ? 'down' : 'fc2';
}

function norm(gpu: Gpu, cfg: ModelConfig, x: Tensor, w: NormWeights, half: HalfCopyTarget | null): { y: Tensor; rstd: Tensor; mean?: Tensor } {
  const n = cfg.arch === 'opt' ? layerNorm(gpu, x, w.weight, w.bias!, cfg.normEps, { half }) : rmsNorm(gpu, x, w.weight, cfg.normEps, { half });
  keepHalfCopy(gpu, n.y, half);
  return n;
}

/** x1 = x + r (a residual connection) and its norm, in one pass where the device binds enough storage buffers. */
function addNorm(gpu: Gpu, cfg: ModelConfig, x: Tensor, r: Tensor, w: NormWeights, half: HalfCopyTarget | null) {
  const opt = cfg.arch === 'opt';
  if (!normForwardFits(gpu, opt, { half, addend: r })) {
    const x1 = add(gpu, x, r);
    return { x1, n: norm(gpu, cfg, x1, w, half) };
  }
  const o = { half, addend: r };
  const { sum, ...n } = opt ? layerNorm(gpu, x, w.weight, w.bias!, cfg.normEps, o) : rmsNorm(gpu, x, w.weight, cfg.normEps, o);
  keepHalfCopy(gpu, n.y, half);
  return { x1: sum!, n };
}

/** dx of a norm (weights frozen, no weight gradients) plus the gradient through the skip connection where there is one (`residual`). */
function normBackward(
  gpu: Gpu,
  dy: Tensor,
  x: Tensor,
  w: NormWeights,
  saved: { rstd: Tensor; mean?: Tensor },
  residual: Tensor | undefined,
  half: HalfCopyTarget | null,
): Tensor {
  if (half && !normDxHalfFits(gpu, { mean: saved.mean, residual })) {
    half.copy.release();
    half = null;
  }
  const dx = normBackwardDx(gpu, dy, x, w.weight, saved.rstd, { mean: saved.mean, residual, half });
  keepHalfCopy(gpu, dx, half);
  return dx;
}

/** Block `layer`'s RoPE (none in SmolLM3's NoPE layers: layerRopeScaling, reference/rope.ts). */
function ropeOpts(cfg: ModelConfig, shape: BatchShape, layer: number, inverse = false) {
  return { ...layerRope(cfg, layer), seqLen: shape.seqLen, inverse };
}

function sideBySideRopeOpts(cfg: ModelConfig, shape: BatchShape, layer: number) {
  const { inverse: _, ...o } = ropeOpts(cfg, shape, layer);
  return { ...o, heads: cfg.heads, kvHeads: cfg.kvHeads };
}

function attnOpts(cfg: ModelConfig, shape: BatchShape) {
  return { batch: shape.batch, seqLen: shape.seqLen, heads: cfg.heads, kvHeads: cfg.kvHeads, headDim: cfg.headDim };
}

/**
 * LLaMA's q and k turned by RoPE, and v, from the normalised input h: one product and one RoPE
 * dispatch where q's, k's and v's weights lie side by side, else three products and one RoPE
 * dispatch for q and k. On attention's matmul path RoPE also writes the f16 head splits of q and k
 * that attention's products read (and v's, side by side, where the device binds one buffer more).
 */
function queriesKeysValues(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  h: Tensor,
  shape: BatchShape,
): { q: Tensor; k: Tensor; v: Tensor; headNorm?: HeadNormActivations } {
  const ao = attnOpts(cfg, shape);
  const rep = cfg.heads / cfg.kvHeads;
  const split = pathOf(gpu, ao) === 'matmul';
  const stacked = sideBySideWeight(w, QKV);
  const withV = stacked !== null && ropeSplitsV(gpu);
  // all the splits or none (one dispatch writes them)
  const targets = split
    ? allHalfCopies([
        headSplitTarget(gpu, ao, rep, 'attention.q'),
        headSplitTarget(gpu, ao, 1, 'attention.k'),
        ...(withV ? [headSplitTarget(gpu, ao, 1, 'attention.v')] : []),
      ])
    : null;
  const [hq, hk, hv] = targets ?? [null, null, null];
  let out: { q: Tensor; k: Tensor; v: Tensor; headNorm?: HeadNormActivations };
  if (stacked) {
    const qkv = linearMatmul(gpu, h, 'q.in', stacked, 'q.weight', { transB: true });
    out = ropeSideBySide(gpu, qkv, sideBySideRopeOpts(cfg, shape, w.index), hq && hk && { q: hq, k: hk, v: hv });
    qkv.release();
  } else {
    const [q, k, v] = QKV.map((r) => linear(gpu, h, linearOf(w, r), r));
    // Qwen3: each head of q and k normalised before RoPE (the products' outputs and the statistics kept for backward)
    const hn = w.headNorms ? { q: rmsNorm(gpu, q, w.headNorms.q.weight, cfg.normEps), k: rmsNorm(gpu, k, w.headNorms.k.weight, cfg.normEps) } : null;
    const [qr, kr] = ropeInputs(
      gpu,
      [
        { x: hn ? hn.q.y : q, heads: cfg.heads, half: hq, splitOut: hq ? rep : undefined },
        { x: hn ? hn.k.y : k, heads: cfg.kvHeads, half: hk, splitOut: hk ? 1 : undefined },
      ],
      ropeOpts(cfg, shape, w.index),
    );
    if (hn) {
      hn.q.y.release();
      hn.k.y.release();
      out = { q: qr, k: kr, v, headNorm: { q, k, qRstd: hn.q.rstd, kRstd: hn.k.rstd } };
    } else {
      q.release();
      k.release();
      out = { q: qr, k: kr, v };
    }
  }
  keepHeadSplit(gpu, out.q, ao, rep, hq);
  keepHeadSplit(gpu, out.k, ao, 1, hk);
  keepHeadSplit(gpu, out.v, ao, 1, hv ?? null);
  return out;
}

/**
 * A block's output y = x1 + r not yet summed (blockForwardDeferred): the next block's first norm
 * adds the two in its own pass (`norm-forward`'s ADD, the same f32 sum as an add), one dispatch
 * fewer a block where blocks run one after another.
 */
export interface PendingOutput {
  /** The block's residual stream after attention, kept in its activations (`x1`). */
  x1: Tensor;
  /** The MLP's output, handed over to the next block (released there). */
  r: Tensor;
}

/**
 * Forward through one block. With `keep`, the activations needed by backward (and by calibration)
 * are returned and stay alive until releaseActivations(); otherwise temporaries are released.
 * `x` may be the previous block's pending output (blockForwardDeferred).
 */
export function blockForward(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  x: Tensor | PendingOutput,
  shape: BatchShape,
  keep = false,
): { y: Tensor; acts?: BlockActivations } {
  if (cfg.postNorm) {
    if ('r' in x) throw new Error('post-norm blocks take their input whole (no pending output)');
    return postNormForward(gpu, cfg, w, x, shape, keep);
  }
  const { out, acts } = forwardParts(gpu, cfg, w, x, shape, keep);
  const y = add(gpu, out.x1, out.r);
  out.r.release();
  if (!acts) out.x1.release(); // kept in the activations otherwise
  return { y, acts };
}

/** blockForward with the output left as x1 + r for the next block's first norm to add (PendingOutput). */
export function blockForwardDeferred(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  x: Tensor | PendingOutput,
  shape: BatchShape,
): { out: PendingOutput; acts: BlockActivations } {
  if (cfg.postNorm) throw new Error('a post-norm block normalises its own output: use blockForward');
  const { out, acts } = forwardParts(gpu, cfg, w, x, shape, true);
  return { out, acts: acts! };
}

function forwardParts(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  input: Tensor | PendingOutput,
  shape: BatchShape,
  keep: boolean,
): { out: PendingOutput; acts?: BlockActivations } {
  const pending = 'r' in input ? input : null;
  const half1 = halfFor(gpu, w, 'q', 'in', pending ? pending.x1.shape : (input as Tensor).shape);
  let x: Tensor;
  let n1: ReturnType<typeof norm>;
  if (pending) {
    ({ x1: x, n: n1 } = addNorm(gpu, cfg, pending.x1, pending.r, w.attnNorm, half1));
    pending.r.release();
  } else {
    x = input as Tensor;
    n1 = norm(gpu, cfg, x, w.attnNorm, half1);
  }
  const { q, k, v, headNorm } =
    cfg.arch === 'llama'
      ? queriesKeysValues(gpu, cfg, w, n1.y, shape)
      : {
          q: linear(gpu, n1.y, linearOf(w, 'q'), 'q'),
          k: linear(gpu, n1.y, linearOf(w, 'k'), 'k'),
          v: linear(gpu, n1.y, linearOf(w, 'v'), 'v'),
          headNorm: undefined,
        };
  const ao = attnOpts(cfg, shape);
  const hAtt = halfFor(gpu, w, 'o', 'in', q.shape);
  const att = causalAttention(gpu, q, k, v, ao, hAtt);
  keepIfWritten(gpu, att.out, hAtt, att.outHalf !== null);
  const o = linear(gpu, att.out, linearOf(w, 'o'), 'o');
  const { x1, n: n2 } = addNorm(gpu, cfg, x, o, w.mlpNorm, halfFor(gpu, w, cfg.arch === 'llama' ? 'gate' : 'fc1', 'in', x.shape));
  o.release();
  let r: Tensor;
  const acts: BlockActivations = { x, inputs: {}, norm1: n1, norm2: n2 };
  if (cfg.arch === 'llama') {
    const stacked = sideBySideWeight(w, GATE_UP);
    let a: Tensor;
    const width = linearOf(w, 'gate').weight.shape[0];
    const half = halfFor(gpu, w, 'down', 'in', [...n2.y.shape.slice(0, -1), width]);
    if (stacked) {
      // one product for both: gate and up side by side in each row
      const gateUp = linearMatmul(gpu, n2.y, 'gate.in', stacked, 'gate.weight', { transB: true });
      a = swigluSideBySide(gpu, gateUp, half);
      acts.gateUp = gateUp;
    } else {
      const gate = linear(gpu, n2.y, linearOf(w, 'gate'), 'gate');
      const up = linear(gpu, n2.y, linearOf(w, 'up'), 'up');
      a = swiglu(gpu, gate, up, undefined, half);
      Object.assign(acts, { gate, up });
    }
    keepHalfCopy(gpu, a, half);
    r = linear(gpu, a, linearOf(w, 'down'), 'down');
    acts.inputs = { q: n1.y, k: n1.y, v: n1.y, o: att.out, gate: n2.y, up: n2.y, down: a };
  } else {
    const fc1 = linear(gpu, n2.y, linearOf(w, 'fc1'), 'fc1');
    const a = cfg.activation === 'gelu' ? gelu(gpu, fc1) : relu(gpu, fc1);
    r = linear(gpu, a, linearOf(w, 'fc2'), 'fc2');
    acts.fc1 = fc1;
    acts.inputs = { q: n1.y, k: n1.y, v: n1.y, o: att.out, fc1: n2.y, fc2: a };
  }
  Object.assign(acts, { q, k, v, headNorm, attn: att.out, lse: att.lse, x1 });
  if (keep) return { out: { x1, r }, acts };
  // x1 lives on in the output: the rest goes (and the input's sum, where this pass made it)
  acts.x1 = undefined;
  releaseActivations(acts, pending !== null);
  return { out: { x1, r } };
}

/**
 * Post-norm OPT (opt-350m): x1 = LN1(x + o(attn(q x, k x, v x))), y = LN2(x1 + fc2(relu(fc1 x1))):
 * the block's input feeds q, k and v itself and each norm follows its residual sum (one pass for
 * both where the device binds enough buffers).
 */
function postNormForward(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, x: Tensor, shape: BatchShape, keep: boolean): { y: Tensor; acts?: BlockActivations } {
  const [q, k, v] = QKV.map((r) => linear(gpu, x, linearOf(w, r), r));
  const hAtt = halfFor(gpu, w, 'o', 'in', q.shape);
  const att = causalAttention(gpu, q, k, v, attnOpts(cfg, shape), hAtt);
  keepIfWritten(gpu, att.out, hAtt, att.outHalf !== null);
  const o = linear(gpu, att.out, linearOf(w, 'o'), 'o');
  const { x1: s1, n: n1 } = addNorm(gpu, cfg, x, o, w.attnNorm, null);
  o.release();
  const x1 = n1.y;
  const fc1 = linear(gpu, x1, linearOf(w, 'fc1'), 'fc1');
  const a = cfg.activation === 'gelu' ? gelu(gpu, fc1) : relu(gpu, fc1);
  const r = linear(gpu, a, linearOf(w, 'fc2'), 'fc2');
  const { x1: s2, n: n2 } = addNorm(gpu, cfg, x1, r, w.mlpNorm, null);
  r.release();
  const acts: BlockActivations = {
    x,
    inputs: { q: x, k: x, v: x, o: att.out, fc1: x1, fc2: a },
    norm1: n1,
    norm2: n2,
    q,
    k,
    v,
    attn: att.out,
    lse: att.lse,
    x1,
    fc1,
    sums: { attn: s1, mlp: s2 },
  };
  if (keep) return { y: n2.y, acts };
  releaseActivations(acts);
  return { y: n2.y };
}

/** Backward through a post-norm OPT block (postNormForward's activations). */
function postNormBackward(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  acts: BlockActivations,
  dy: Tensor,
  shape: BatchShape,
  grads: { wanted: (role: LinearRole) => boolean; weightGrad: (role: LinearRole, dout: Tensor) => void; dW: BlockGrads['dW'] },
): BlockGrads {
  const { wanted, weightGrad, dW } = grads;
  // y = LN2(s2), s2 = x1 + fc2(act(fc1 x1))
  const ds2 = normBackward(gpu, dy, acts.sums!.mlp, w.mlpNorm, acts.norm2, undefined, null);
  weightGrad('fc2', ds2);
  const da = linearMatmul(gpu, ds2, 'fc2.dout', linearOf(w, 'fc2').weight, 'fc2.weight');
  const dfc1 = cfg.activation === 'gelu' ? geluBackward(gpu, da, acts.fc1!) : reluBackward(gpu, da, acts.fc1!);
  da.release();
  weightGrad('fc1', dfc1);
  // dx1 = ds2 (the skip connection) + dfc1 · W1, summed into ds2
  linearMatmul(gpu, dfc1, 'fc1.dout', linearOf(w, 'fc1').weight, 'fc1.weight', { out: ds2, accumulate: true });
  dfc1.release();
  // x1 = LN1(s1), s1 = x + o(attention)
  const ds1 = normBackward(gpu, ds2, acts.sums!.attn, w.attnNorm, acts.norm1, undefined, null);
  ds2.release();
  weightGrad('o', ds1);
  const dattn = linearMatmul(gpu, ds1, 'o.dout', linearOf(w, 'o').weight, 'o.weight');
  const dn = attentionInputsBackward(gpu, cfg, w, acts, dattn, shape, wanted, dW);
  dattn.release();
  const dx = add(gpu, ds1, dn);
  ds1.release();
  dn.release();
  return { dx, dW };
}

/** The activations of a forward pass whose output is not needed (calibration statistics). */
export function blockActivations(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, x: Tensor, shape: BatchShape): BlockActivations {
  const { y, acts } = blockForward(gpu, cfg, w, x, shape, true);
  y.release();
  return acts!;
}

/** Releases everything the forward kept, except the block input x unless asked. */
export function releaseActivations(a: BlockActivations, includeInput = false): void {
  // post-norm blocks read their input x in q's, k's and v's products: it stays unless asked
  const seen = new Set<Tensor>(includeInput ? [] : [a.x]);
  const rel = (t?: Tensor) => {
    if (t && !seen.has(t)) {
      seen.add(t);
      t.release();
    }
  };
  if (includeInput) rel(a.x);
  Object.values(a.inputs).forEach(rel);
  [a.norm1.rstd, a.norm1.mean, a.norm2.rstd, a.norm2.mean, a.q, a.k, a.v, a.attn, a.lse, a.x1, a.gate, a.up, a.gateUp, a.fc1].forEach(rel);
  if (a.headNorm) [a.headNorm.q, a.headNorm.k, a.headNorm.qRstd, a.headNorm.kRstd].forEach(rel);
  if (a.sums) [a.sums.attn, a.sums.mlp].forEach(rel);
}

export interface BlockGrads {
  dx: Tensor;
  /** d loss / d (effective weight) of each Linear, [out, in]. */
  dW: Partial<Record<LinearRole, Tensor>>;
}

/**
 * From attention's output gradient back to q's, k's and v's input: their weight gradients (those
 * wanted) and the input gradient dn1, which it returns. With the weights side by side, RoPE's
 * inverse writes dq, dk and dv side by side (with their f16 copy) for one product each way;
 * otherwise it writes dq and dk (and attention dv) for a product each.
 */
function attentionInputsBackward(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  acts: BlockActivations,
  dattn: Tensor,
  shape: BatchShape,
  wanted: (role: LinearRole) => boolean,
  dW: BlockGrads['dW'],
): Tensor {
  const llama = cfg.arch === 'llama';
  const input = acts.inputs.q!;
  const stacked = llama ? sideBySideWeight(w, QKV) : null;
  const ao = attnOpts(cfg, shape);
  if (stacked) {
    const g = causalAttentionBackward(gpu, dattn, acts.q!, acts.k!, acts.v!, acts.attn!, acts.lse!, ao, {}, 'qkv');
    // the copy is read by dn1's product: 2·tokens·(q's, k's and v's rows)·hidden FLOP
    const half = halfCopyTarget(gpu, [input.size / stacked.shape[1], stacked.shape[0]], 'q.dout', 2 * input.size * stacked.shape[0]);
    const dqkv = ropeSideBySideInverse(gpu, g, sideBySideRopeOpts(cfg, shape, w.index), g.split === 'qkv', half);
    keepHalfCopy(gpu, dqkv, half);
    [g.dq, g.dk, g.dv].forEach((t) => t.release());
    const dn1 = stackedGrads(gpu, w, QKV, stacked, dqkv, input, wanted, dW);
    dqkv.release();
    return dn1;
  }
  // the f16 copies of dq, dk (written by RoPE's inverse for LLaMA, else by attention) and dv
  const hq = halfFor(gpu, w, 'q', 'dout', acts.q!.shape);
  const hk = halfFor(gpu, w, 'k', 'dout', acts.k!.shape);
  const hv = halfFor(gpu, w, 'v', 'dout', acts.v!.shape);
  const g = causalAttentionBackward(
    gpu,
    dattn,
    acts.q!,
    acts.k!,
    acts.v!,
    acts.attn!,
    acts.lse!,
    ao,
    llama ? { dv: hv } : { dq: hq, dk: hk, dv: hv },
    llama ? 'qk' : 'none',
  );
  let dq = g.dq;
  let dk = g.dk;
  if (llama) {
    // RoPE's inverse reads dq and dk where attention left them (its head split on the matmul path)
    const rep = g.split === 'qk' ? cfg.heads / cfg.kvHeads : undefined;
    const hn = acts.headNorm && w.headNorms ? { acts: acts.headNorm, w: w.headNorms } : null;
    [dq, dk] = ropeInputs(
      gpu,
      [
        { x: g.dq, heads: cfg.heads, half: hn ? null : hq, splitIn: rep },
        { x: g.dk, heads: cfg.kvHeads, half: hn ? null : hk, splitIn: rep && 1 },
      ],
      ropeOpts(cfg, shape, w.index, true),
    );
    g.dq.release();
    g.dk.release();
    if (hn) {
      // through Qwen3's per-head norms: the products' output gradients (their f16 copies written here)
      const dqn = dq;
      const dkn = dk;
      dq = normBackward(gpu, dqn, hn.acts.q, hn.w.q, { rstd: hn.acts.qRstd }, undefined, hq);
      dk = normBackward(gpu, dkn, hn.acts.k, hn.w.k, { rstd: hn.acts.kRstd }, undefined, hk);
      dqn.release();
      dkn.release();
    } else {
      keepHalfCopy(gpu, dq, hq);
      keepHalfCopy(gpu, dk, hk);
    }
  } else {
    keepIfWritten(gpu, dq, hq, Boolean(g.halves.dq));
    keepIfWritten(gpu, dk, hk, Boolean(g.halves.dk));
  }
  keepIfWritten(gpu, g.dv, hv, Boolean(g.halves.dv));
  const douts: Partial<Record<LinearRole, Tensor>> = { q: dq, k: dk, v: g.dv };
  for (const r of QKV) if (wanted(r)) dW[r] = linearMatmul(gpu, douts[r]!, `${r}.dout`, input, `${r}.in`, { transA: true });
  const dn1 = linearMatmul(gpu, dq, 'q.dout', linearOf(w, 'q').weight, 'q.weight');
  linearMatmul(gpu, dk, 'k.dout', linearOf(w, 'k').weight, 'k.weight', { out: dn1, accumulate: true });
  linearMatmul(gpu, g.dv, 'v.dout', linearOf(w, 'v').weight, 'v.weight', { out: dn1, accumulate: true });
  dq.release();
  dk.release();
  g.dv.release();
  return dn1;
}

/**
 * The products of Linears whose weights lie side by side (`stacked`), from their output gradients
 * side by side (`dStacked`, [tokens, their rows]): the weight gradients (one product, split into each
 * one's rows; those not wanted released) and the input gradient, which it returns.
 */
function stackedGrads(
  gpu: Gpu,
  w: BlockWeights,
  roles: readonly LinearRole[],
  stacked: Tensor,
  dStacked: Tensor,
  input: Tensor,
  wanted: (role: LinearRole) => boolean,
  dW: BlockGrads['dW'],
): Tensor {
  const cls = roles[0];
  if (roles.some(wanted)) {
    const all = linearMatmul(gpu, dStacked, `${cls}.dout`, input, `${cls}.in`, { transA: true });
    const parts = all.splitRows(
      roles.map((r) => linearOf(w, r).weight.shape[0]),
      roles.map((r) => `${r}.dW`),
    );
    roles.forEach((r, i) => (wanted(r) ? (dW[r] = parts[i]) : parts[i].release()));
  }
  return linearMatmul(gpu, dStacked, `${cls}.dout`, stacked, `${cls}.weight`);
}

/**
 * Gate and up's backward where their weights lie side by side: dgate and dup side by side (with
 * their f16 copy), one product for both weight gradients (split into each one's rows) and one for
 * the input gradient dn2, which it returns.
 */
function sideBySideBackward(
  gpu: Gpu,
  w: BlockWeights,
  gateUp: Tensor,
  da: Tensor,
  input: Tensor,
  wanted: (role: LinearRole) => boolean,
  dW: BlockGrads['dW'],
): Tensor {
  const stacked = sideBySideWeight(w, GATE_UP)!;
  // the copy is read by dn2's product: 2·tokens·(gate's and up's rows)·hidden FLOP
  const half = halfCopyTarget(gpu, gateUp.shape, 'gate.dout', 2 * gateUp.size * stacked.shape[1]);
  const dGateUp = swigluSideBySideBackward(gpu, da, gateUp, half);
  keepHalfCopy(gpu, dGateUp, half);
  const dn2 = stackedGrads(gpu, w, GATE_UP, stacked, dGateUp, input, wanted, dW);
  dGateUp.release();
  return dn2;
}

/** Backward through one block given the forward's activations. */
export function blockBackward(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  acts: BlockActivations,
  dy: Tensor,
  shape: BatchShape,
  weightGrads: boolean | readonly LinearRole[] = true,
): BlockGrads {
  const dW: BlockGrads['dW'] = {};
  const inp = acts.inputs;
  // a weight gradient nobody reads costs a product (and its split-K sum) per Linear and step
  const wanted = (role: LinearRole) => (typeof weightGrads === 'boolean' ? weightGrads : weightGrads.includes(role));
  const weightGrad = (role: LinearRole, dout: Tensor) => {
    if (wanted(role)) dW[role] = linearMatmul(gpu, dout, `${role}.dout`, inp[role]!, `${role}.in`, { transA: true });
  };
  if (cfg.postNorm) return postNormBackward(gpu, cfg, w, acts, dy, shape, { wanted, weightGrad, dW });
  // MLP
  let dn2: Tensor;
  if (cfg.arch === 'llama') {
    weightGrad('down', dy);
    const da = linearMatmul(gpu, dy, 'down.dout', linearOf(w, 'down').weight, 'down.weight');
    if (acts.gateUp) {
      dn2 = sideBySideBackward(gpu, w, acts.gateUp, da, inp.gate!, wanted, dW);
      da.release();
    } else {
      // one pass writes both copies or neither
      const pair = allHalfCopies([halfFor(gpu, w, 'gate', 'dout', acts.gate!.shape), halfFor(gpu, w, 'up', 'dout', acts.up!.shape)]);
      const half = pair && { dgate: pair[0], dup: pair[1] };
      const { dgate, dup } = swigluBackward(gpu, da, acts.gate!, acts.up!, half);
      keepHalfCopy(gpu, dgate, half?.dgate ?? null);
      keepHalfCopy(gpu, dup, half?.dup ?? null);
      da.release();
      weightGrad('gate', dgate);
      weightGrad('up', dup);
      dn2 = linearMatmul(gpu, dgate, 'gate.dout', linearOf(w, 'gate').weight, 'gate.weight');
      linearMatmul(gpu, dup, 'up.dout', linearOf(w, 'up').weight, 'up.weight', { out: dn2, accumulate: true });
      dgate.release();
      dup.release();
    }
  } else {
    weightGrad('fc2', dy);
    const da = linearMatmul(gpu, dy, 'fc2.dout', linearOf(w, 'fc2').weight, 'fc2.weight');
    const dfc1 = cfg.activation === 'gelu' ? geluBackward(gpu, da, acts.fc1!) : reluBackward(gpu, da, acts.fc1!);
    da.release();
    weightGrad('fc1', dfc1);
    dn2 = linearMatmul(gpu, dfc1, 'fc1.dout', linearOf(w, 'fc1').weight, 'fc1.weight');
    dfc1.release();
  }
  const dx1 = normBackward(gpu, dn2, acts.x1!, w.mlpNorm, acts.norm2, dy, halfFor(gpu, w, 'o', 'dout', dy.shape));
  dn2.release();
  // Attention
  weightGrad('o', dx1);
  const dattn = linearMatmul(gpu, dx1, 'o.dout', linearOf(w, 'o').weight, 'o.weight');
  const dn1 = attentionInputsBackward(gpu, cfg, w, acts, dattn, shape, wanted, dW);
  dattn.release();
  // dx is the previous block's dy (the same shapes)
  const dx = normBackward(gpu, dn1, acts.x, w.attnNorm, acts.norm1, dx1, halfFor(gpu, w, lastRole(cfg), 'dout', dy.shape));
  dn1.release();
  dx1.release();
  return { dx, dW };
}
