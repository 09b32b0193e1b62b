// TEQ: trainable per-channel scales α, trained with a straight-through estimator and folded into
// the model, followed by plain min/max quantization (arXiv 2310.10944; algorithms.md section 1).
// Two losses: 'block' (each block's output MSE against full-precision targets, one block resident)
// and 'lm' (the model's own next-token cross-entropy through the whole model, the reference trainer).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../model/config';
import { blockForward, blockBackward, releaseActivations, type BatchShape } from '../model/block';
import { loadBlockWeights, releaseBlockWeights, linearOf, type BlockWeights } from '../model/block-weights';
import { embedTokens, finalNorm, lmHead } from '../model/gpu-model';
import type { LinearRole } from '../model/tensor-names';
import { quantizeWeight } from '../ops/quantize';
import { teqGradContrib, clampMin } from '../ops/teq';
import { sumCols, sumSquares } from '../ops/reduce';
import { sub, scale } from '../ops/elementwise';
import { adamStep } from '../ops/adam';
import { embeddingGather } from '../ops/embedding';
import { matmul } from '../ops/matmul';
import { crossEntropy, crossEntropyBackward } from '../ops/cross-entropy';
import { rmsNormBackward, layerNormBackward } from '../ops/norm';
import { mulberry32 } from '../reference/rng';
import { awqBlock, scaleNext, scalePrev } from './awq';
import { quantizeBlockRtn } from './rtn';
import { readBlockOverrides } from './transformed';
import { QuantizedBlocks } from './quantized-model';
import { teqGroups, type TeqGroup } from './teq-groups';
import { checkCancelled, type MethodContext } from './method-context';
import type { QuantSpec } from './format';
import { nextTokenTargets } from '../eval/windows';

export const TEQ_BETAS = [0.9, 0.9] as const;
export const ALPHA_MIN = 1e-5;

/** 5% linear warm-up, then linear decay to zero (transformers' "linear" schedule). */
export function teqLearningRate(base: number, step: number, total: number): number {
  const warm = Math.max(1, Math.round(total * 0.05));
  if (step < warm) return (base * (step + 1)) / warm;
  return (base * Math.max(0, total - step)) / Math.max(1, total - warm);
}

interface GroupState {
  group: TeqGroup;
  alpha: Tensor;
  m: Tensor;
  v: Tensor;
  grad: Tensor;
}

function makeGroups(gpu: Gpu, cfg: ModelConfig): GroupState[] {
  return teqGroups(cfg).map((group) => ({
    group,
    alpha: gpu.upload(new Float32Array(group.size).fill(1), [group.size], `alpha ${group.name}`),
    m: gpu.zeros([group.size], 'adam-m'),
    v: gpu.zeros([group.size], 'adam-v'),
    grad: gpu.zeros([group.size], 'dalpha'),
  }));
}

function releaseGroups(gs: GroupState[]): void {
  for (const g of gs) [g.alpha, g.m, g.v, g.grad].forEach((t) => t.release());
}

function groupOf(gs: GroupState[], role: LinearRole): GroupState | undefined {
  return gs.find((g) => g.group.members.includes(role));
}

/** The block with every Linear's weight replaced by FQ(W·α)/α (α = 1 where a Linear has no group). */
function effectiveBlock(gpu: Gpu, w: BlockWeights, gs: GroupState[], spec: QuantSpec): BlockWeights {
  const linears: BlockWeights['linears'] = {};
  for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
    const g = groupOf(gs, role);
    const deq = quantizeWeight(gpu, l.weight, spec, { colScale: g?.alpha, codes: false, dequant: true, unscale: !!g }).deq!;
    linears[role] = { weight: deq, bias: l.bias };
  }
  return { ...w, linears };
}

function releaseEffective(e: BlockWeights): void {
  for (const l of Object.values(e.linears)) l?.weight.release();
}

/** Adds this block's contribution to each group's dα from the effective-weight gradients. */
function accumulateAlphaGrads(gpu: Gpu, w: BlockWeights, gs: GroupState[], dW: Partial<Record<LinearRole, Tensor>>, spec: QuantSpec, estimator: MethodContext['config']['teqEstimator']): void {
  for (const g of gs) {
    for (const role of g.group.members) {
      const c = teqGradContrib(gpu, linearOf(w, role).weight, g.alpha, dW[role]!, spec, estimator);
      sumCols(gpu, c, g.grad, { accumulate: true });
      c.release();
    }
  }
}

function adamUpdate(gpu: Gpu, gs: GroupState[], lr: number, step: number): void {
  for (const g of gs) {
    adamStep(gpu, g.alpha, g.grad, g.m, g.v, { lr, beta1: TEQ_BETAS[0], beta2: TEQ_BETAS[1], eps: 1e-8, weightDecay: 0, step });
    clampMin(gpu, g.alpha, ALPHA_MIN);
    gpu.clear(g.grad);
  }
}

/** Folds α: the preceding op's output channels divided by α, the members' columns multiplied. */
function foldGroups(gpu: Gpu, w: BlockWeights, gs: GroupState[]): void {
  for (const g of gs) {
    const prev = 'norm' in g.group.prev ? (g.group.prev.norm === 'attn' ? w.attnNorm : w.mlpNorm) : linearOf(w, g.group.prev.linear);
    scalePrev(gpu, prev, g.alpha, !('norm' in g.group.prev));
    scaleNext(gpu, g.group.members.map((r) => linearOf(w, r)), g.alpha);
  }
}

/** Rows of the sequences `seqs` of x laid out as [count*seqLen, C]. */
function gatherSequences(gpu: Gpu, x: Tensor, seqs: number[], seqLen: number): Tensor {
  const ids = new Uint32Array(seqs.length * seqLen);
  seqs.forEach((s, i) => { for (let t = 0; t < seqLen; t++) ids[i * seqLen + t] = s * seqLen + t; });
  const idT = gpu.upload(ids, [ids.length], 'batch-rows');
  const out = embeddingGather(gpu, x, idT);
  idT.release();
  return out;
}

function pickSequences(rand: () => number, total: number, count: number): number[] {
  const n = Math.min(count, total);
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (total - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

export const TEQ_BLOCK_BATCH = 4;

/** Block-wise TEQ: each block's α trained on its output MSE, then folded and quantized. */
async function runTeqBlockwise(ctx: MethodContext): Promise<void> {
  const { gpu, cfg, config, spec } = ctx;
  const seqLen = ctx.calibShape.seqLen;
  const nSeq = ctx.calibShape.batch;
  const rand = mulberry32(config.seed + 17);
  let xq = embedTokens(gpu, cfg, ctx.globals, ctx.calibIds, ctx.calibShape);
  let xf = gpu.clone(xq);
  const history: { block: number; losses: number[]; alpha: Record<string, number[]> }[] = [];
  for (let b = 0; b < cfg.layers; b++) {
    checkCancelled(ctx);
    const w = await loadBlockWeights(gpu, ctx.source, b);
    const yf = blockForward(gpu, cfg, w, xf, ctx.calibShape).y;
    if (config.teqInit === 'awq') await awqBlock(gpu, cfg, w, xq, ctx.calibShape, spec, { clip: false });
    const gs = makeGroups(gpu, cfg);
    const steps = config.steps;
    const losses = gpu.zeros([Math.max(1, steps)], 'teq-losses');
    for (let step = 0; step < steps; step++) {
      const seqs = pickSequences(rand, nSeq, TEQ_BLOCK_BATCH);
      const shape: BatchShape = { batch: seqs.length, seqLen };
      const xb = gatherSequences(gpu, xq, seqs, seqLen);
      const tb = gatherSequences(gpu, yf, seqs, seqLen);
      const eff = effectiveBlock(gpu, w, gs, spec);
      const { y, acts } = blockForward(gpu, cfg, eff, xb, shape, true);
      const diff = sub(gpu, y, tb);
      const tokens = seqs.length * seqLen;
      const l = sumSquares(gpu, diff);
      scaleInto(gpu, l, 1 / tokens, losses, step);
      l.release();
      const dy = scale(gpu, diff, 2 / tokens);
      diff.release();
      const g = blockBackward(gpu, cfg, eff, acts!, dy, shape);
      accumulateAlphaGrads(gpu, w, gs, g.dW, spec, config.teqEstimator);
      adamUpdate(gpu, gs, teqLearningRate(config.lr, step, steps), step + 1);
      Object.values(g.dW).forEach((t) => t?.release());
      [g.dx, dy, y, tb].forEach((t) => t.release());
      releaseActivations(acts!, true);
      releaseEffective(eff);
      if (step % 16 === 15) gpu.flush();
    }
    const lossValues = steps ? Array.from(await losses.readF32()) : [];
    losses.release();
    lossValues.forEach((value, step) => ctx.emit({ type: 'loss', series: `TEQ block ${b}`, step, value }));
    const alphaSnap: Record<string, number[]> = {};
    for (const g of gs) {
      alphaSnap[g.group.name] = Array.from(await g.alpha.readF32());
      ctx.emit({ type: 'scales', block: b, group: g.group.name, values: alphaSnap[g.group.name] });
    }
    history.push({ block: b, losses: lossValues, alpha: alphaSnap });
    foldGroups(gpu, w, gs);
    releaseGroups(gs);
    await readBlockOverrides(cfg, w, ctx.overrides);
    const qs = await quantizeBlockRtn(gpu, cfg, w, spec);
    for (const q of qs) ctx.linears.set(q.name, q);
    // The next block sees this block's quantized output.
    const qb = new QuantizedBlocks(gpu, ctx.source, { config: cfg, spec, linears: new Map(qs.map((q) => [q.name, q])), overrides: ctx.overrides }, true);
    const wq = await qb.get(b);
    const yq = blockForward(gpu, cfg, wq, xq, ctx.calibShape).y;
    qb.release();
    releaseBlockWeights(w);
    xq.release();
    xf.release();
    xq = yq;
    xf = yf;
    ctx.emit({ type: 'progress', phase: 'teq', done: b + 1, total: cfg.layers });
  }
  xq.release();
  xf.release();
  ctx.details.teq = { loss: 'block', estimator: config.teqEstimator, init: config.teqInit, blocks: history };
}

/** loss[slot] = value[0] * k, on the GPU. */
function scaleInto(gpu: Gpu, value: Tensor, k: number, into: Tensor, slot: number): void {
  const s = scale(gpu, value, k);
  gpu.copy(s, into, 0, slot, 1);
  s.release();
}

/** TEQ with the model's own next-token loss through the whole model (all blocks resident). */
async function runTeqLm(ctx: MethodContext): Promise<void> {
  const { gpu, cfg, config, spec } = ctx;
  const seqLen = ctx.calibShape.seqLen;
  const rand = mulberry32(config.seed + 29);
  const blocks: BlockWeights[] = [];
  for (let b = 0; b < cfg.layers; b++) blocks.push(await loadBlockWeights(gpu, ctx.source, b));
  if (config.teqInit === 'awq') {
    let x = embedTokens(gpu, cfg, ctx.globals, ctx.calibIds, ctx.calibShape);
    for (const w of blocks) {
      await awqBlock(gpu, cfg, w, x, ctx.calibShape, spec, { clip: false });
      const y = blockForward(gpu, cfg, w, x, ctx.calibShape).y;
      x.release();
      x = y;
    }
    x.release();
  }
  const groups = blocks.map(() => makeGroups(gpu, cfg));
  const steps = config.steps;
  const losses = gpu.zeros([Math.max(1, steps)], 'teq-losses');
  const shape: BatchShape = { batch: 1, seqLen };
  for (let step = 0; step < steps; step++) {
    if (step % 32 === 0) checkCancelled(ctx);
    const seq = pickSequences(rand, ctx.calibShape.batch, 1)[0];
    const ids = ctx.calibIds.slice(seq * seqLen, (seq + 1) * seqLen);
    let h = embedTokens(gpu, cfg, ctx.globals, ids, shape);
    const effs = blocks.map((w, b) => effectiveBlock(gpu, w, groups[b], spec));
    const saved = [];
    for (let b = 0; b < cfg.layers; b++) {
      const { y, acts } = blockForward(gpu, cfg, effs[b], h, shape, true);
      saved.push(acts!);
      h = y;
    }
    const n = finalNorm(gpu, cfg, ctx.globals, h);
    const logits = lmHead(gpu, ctx.globals, n.y);
    const targets = gpu.upload(nextTokenTargets(ids, seqLen), [seqLen], 'targets');
    const ce = crossEntropy(gpu, logits, targets);
    const total = sumCols(gpu, ce.loss.view([seqLen, 1]));
    scaleInto(gpu, total, 1 / (seqLen - 1), losses, step);
    total.release();
    const dlogits = crossEntropyBackward(gpu, logits, targets, ce.lse, 1 / (seqLen - 1));
    const dn = matmul(gpu, dlogits, ctx.globals.lmHead);
    let dh: Tensor;
    if (cfg.arch === 'opt') {
      const r = layerNormBackward(gpu, dn, h, ctx.globals.finalNorm.weight, n.mean!, n.rstd);
      r.dweight.release();
      r.dbias.release();
      dh = r.dx;
    } else {
      const r = rmsNormBackward(gpu, dn, h, ctx.globals.finalNorm.weight, n.rstd);
      r.dweight.release();
      dh = r.dx;
    }
    [dn, dlogits, logits, targets, ce.loss, ce.lse, n.y, n.rstd, h].forEach((t) => t.release());
    n.mean?.release();
    for (let b = cfg.layers - 1; b >= 0; b--) {
      const g = blockBackward(gpu, cfg, effs[b], saved[b], dh, shape);
      accumulateAlphaGrads(gpu, blocks[b], groups[b], g.dW, spec, config.teqEstimator);
      Object.values(g.dW).forEach((t) => t?.release());
      dh.release();
      dh = g.dx;
      releaseActivations(saved[b], true);
      releaseEffective(effs[b]);
    }
    dh.release();
    const lr = teqLearningRate(config.lr, step, steps);
    for (const gs of groups) adamUpdate(gpu, gs, lr, step + 1);
    gpu.flush();
    ctx.emit({ type: 'progress', phase: 'teq', done: step + 1, total: steps });
  }
  const lossValues = steps ? Array.from(await losses.readF32()) : [];
  losses.release();
  lossValues.forEach((value, step) => ctx.emit({ type: 'loss', series: 'TEQ LM loss', step, value }));
  const history: { block: number; alpha: Record<string, number[]> }[] = [];
  for (let b = 0; b < cfg.layers; b++) {
    const alphaSnap: Record<string, number[]> = {};
    for (const g of groups[b]) {
      alphaSnap[g.group.name] = Array.from(await g.alpha.readF32());
      ctx.emit({ type: 'scales', block: b, group: g.group.name, values: alphaSnap[g.group.name] });
    }
    history.push({ block: b, alpha: alphaSnap });
    foldGroups(gpu, blocks[b], groups[b]);
    releaseGroups(groups[b]);
    await readBlockOverrides(cfg, blocks[b], ctx.overrides);
    for (const q of await quantizeBlockRtn(gpu, cfg, blocks[b], spec)) ctx.linears.set(q.name, q);
    releaseBlockWeights(blocks[b]);
  }
  ctx.details.teq = { loss: 'lm', estimator: config.teqEstimator, init: config.teqInit, losses: lossValues, blocks: history };
}

export async function runTeq(ctx: MethodContext): Promise<void> {
  if (ctx.config.teqLoss === 'lm') await runTeqLm(ctx);
  else await runTeqBlockwise(ctx);
}
