// TEQ: trainable per-channel scales α, trained with a straight-through estimator and folded into
// the model, followed by plain min/max quantization (arXiv 2310.10944).
// Two losses: 'block' (each block's output MSE against full-precision targets, one block resident)
// and 'lm' (the model's own next-token cross-entropy through the whole model, the reference trainer).
// The LM training is read back every TEQ_LM_CHECK_EVERY steps (and when a checkpoint is due): a
// non-finite state rolls back to the last finite one and retries at a tenth of the learning rate.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import { blockForward, blockBackward, releaseActivations, type BatchShape } from '../model/block';
import { loadBlockWeights, releaseBlockWeights, linearOf, type BlockWeights } from '../model/block-weights';
import { embedTokens, finalNorm, lmHead } from '../model/gpu-model';
import type { LinearRole } from '../core/tensor-names';
import { quantizeWeight } from '../ops/quantize';
import { clampMin, teqColSum, teqColSumTable, teqEffectiveGroup, teqGradGroup, type TeqEstimator } from '../ops/teq';
import { mseWithGrad, sumInto } from '../ops/mse-grad';
import { adamStep } from '../ops/adam';
import { embeddingGather } from '../ops/embedding';
import { matmul } from '../ops/matmul';
import { crossEntropy, crossEntropyBackward } from '../ops/cross-entropy';
import { normBackwardDx } from '../ops/norm-dx';
import { mulberry32 } from '../reference/rng';
import { SeekableRandom } from './seekable-random';
import { awqBlock, scaleNext, scalePrev } from './awq';
import { quantizeBlockRtn } from './rtn';
import { readBlockOverrides } from './transformed';
import { QuantizedBlocks } from './quantized-model';
import { teqGroups, type TeqGroup } from './teq-groups';
import { blockSeed, checkCancelled, paceSubmissions, pickSequences, progressReporter, type MethodContext } from './method-context';
import { alphaMovement, keepBetter, teqHoldoutWindows, type TeqHeldOutScore, type TeqKept } from './teq-holdout';
import { chainForward, chainInput } from './chains';
import { heldOutScore } from './window-losses';
import { NonFiniteError, RETRY_LR_FACTOR, blameSourceWeights, finalDivergence } from './non-finite';
import type { QuantSpec } from '../core/quant-spec';
import { nextTokenTargets } from '../ops/cross-entropy';

export const TEQ_BETAS = [0.9, 0.9] as const;
export const ALPHA_MIN = 1e-5;

/** 5% linear warm-up, then linear decay to zero (transformers' "linear" schedule). */
export function teqLearningRate(base: number, step: number, total: number): number {
  const warm = Math.max(1, Math.round(total * 0.05));
  if (step < warm) return (base * (step + 1)) / warm;
  return (base * Math.max(0, total - step)) / Math.max(1, total - warm);
}

/** Where one group's α and dα contributions sit in the packed buffers of a TeqTrainer. */
interface PackedGroup {
  group: TeqGroup;
  offset: number;
  /** Offset in its block's contribution buffer. */
  contribOffset: number;
  /** The members' rows stacked. */
  rows: number;
}

/**
 * The trainable α of every group of some blocks, packed into one buffer (with its Adam moments and
 * gradient), and the blocks' effective weights in tensors that live as long as the trainer. A step
 * costs one dispatch per group for the effective weights, one per group for the dα contributions,
 * one per block for the column sums and two for Adam and the clamp of every α at once. The dα
 * contributions are as large as the grouped weights, so each block has its own buffer (all blocks'
 * in one would pass the 2 GiB binding limit at 1B parameters).
 */
class TeqTrainer {
  readonly alpha: Tensor;
  private m: Tensor;
  private v: Tensor;
  private grad: Tensor;
  private contribs: Tensor[];
  private tables: Tensor[];
  readonly groups: PackedGroup[][];
  private effective: BlockWeights[];
  private owned: Tensor[] = [];

  constructor(
    private gpu: Gpu,
    cfg: ModelConfig,
    private blocks: BlockWeights[],
    private spec: QuantSpec,
  ) {
    let size = 0;
    const contribSizes: number[] = [];
    this.groups = blocks.map((w) => {
      let contribSize = 0;
      const groups = teqGroups(cfg).map((group) => {
        const rows = group.members.reduce((a, r) => a + linearOf(w, r).weight.shape[0], 0);
        const g: PackedGroup = { group, offset: size, contribOffset: contribSize, rows };
        size += group.size;
        contribSize += rows * group.size;
        return g;
      });
      contribSizes.push(contribSize);
      return groups;
    });
    const own = (t: Tensor) => (this.owned.push(t), t);
    this.alpha = own(gpu.upload(new Float32Array(Math.max(1, size)).fill(1), [Math.max(1, size)], 'teq.alpha'));
    this.m = own(gpu.zeros([Math.max(1, size)], 'teq.adam-m'));
    this.v = own(gpu.zeros([Math.max(1, size)], 'teq.adam-v'));
    this.grad = own(gpu.zeros([Math.max(1, size)], 'teq.dalpha'));
    this.contribs = contribSizes.map((n, b) => own(gpu.tensor([Math.max(1, n)], 'f32', `teq.contrib.${b}`)));
    this.tables = this.groups.map((groups, b) => {
      const table = teqColSumTable(groups.map((g) => ({ contribOffset: g.contribOffset, rows: g.rows, cols: g.group.size, outOffset: g.offset })));
      return own(gpu.upload(table.length ? table : new Uint32Array(5), [Math.max(5, table.length)], `teq.colsum-table.${b}`));
    });
    // Linears outside every group keep α = 1: their effective weight is fixed, computed once.
    this.effective = blocks.map((w, b) => {
      const linears: BlockWeights['linears'] = {};
      for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
        const grouped = this.groups[b].some((g) => g.group.members.includes(role));
        const weight = grouped
          ? gpu.tensor(l.weight.shape, 'f32', `teq.eff.${role}`)
          : quantizeWeight(gpu, l.weight, spec, { codes: false, dequant: true }).deq!;
        own(weight);
        linears[role] = { weight, bias: l.bias };
      }
      return { ...w, linears };
    });
  }

  /** Recomputes the effective weights FQ(W·α)/α of every grouped Linear from the current α. */
  refresh(): void {
    this.blocks.forEach((w, b) => {
      for (const g of this.groups[b]) {
        const members = g.group.members;
        teqEffectiveGroup(
          this.gpu,
          members.map((r) => linearOf(w, r).weight),
          this.alpha,
          g.offset,
          members.map((r) => linearOf(this.effective[b], r).weight),
          this.spec,
        );
      }
    });
  }

  /** The Linears of block `b` whose weight gradients feed some α (the others' gradients are not needed). */
  trainedRoles(b: number): LinearRole[] {
    return this.groups[b].flatMap((g) => g.group.members);
  }

  /** Block `b` with every Linear's weight replaced by its effective weight (owned by the trainer). */
  effectiveBlock(b: number): BlockWeights {
    return this.effective[b];
  }

  /** dα contributions of block `b` from its effective-weight gradients (summed in update()). */
  contribute(b: number, dW: Partial<Record<LinearRole, Tensor>>, estimator: TeqEstimator): void {
    const w = this.blocks[b];
    for (const g of this.groups[b]) {
      const members = g.group.members;
      teqGradGroup(
        this.gpu,
        members.map((r) => linearOf(w, r).weight),
        members.map((r) => dW[r]!),
        this.alpha,
        g.offset,
        this.contribs[b],
        g.contribOffset,
        this.spec,
        estimator,
      );
    }
  }

  /** dα of every group, then one Adam step and the clamp on all α at once. */
  update(lr: number, step: number): void {
    // each block's groups own disjoint parts of grad
    this.blocks.forEach((_, b) => teqColSum(this.gpu, this.tables[b], this.contribs[b], this.grad));
    adamStep(this.gpu, this.alpha, this.grad, this.m, this.v, { lr, beta1: TEQ_BETAS[0], beta2: TEQ_BETAS[1], eps: 1e-8, weightDecay: 0, step });
    clampMin(this.gpu, this.alpha, ALPHA_MIN);
  }

  /** α and its Adam moments, what a rollback or a checkpoint of the training keeps. */
  async readState(): Promise<Record<string, Float32Array>> {
    const [alpha, m, v] = await Promise.all([this.alpha.readF32(), this.m.readF32(), this.v.readF32()]);
    return { alpha, 'adam.m': m, 'adam.v': v };
  }

  writeState(state: Record<string, Float32Array>): void {
    for (const [name, t] of [
      ['alpha', this.alpha],
      ['adam.m', this.m],
      ['adam.v', this.v],
    ] as const) {
      const values = state[name];
      if (!values || values.length !== t.size) throw new Error(`TEQ checkpoint: ${name} has ${values?.length ?? 'no'} values, expected ${t.size}`);
      this.gpu.write(t, values);
    }
  }

  /** For divergence messages: the first Linear whose fp weight is non-finite, else the first group whose α is. */
  async firstNonFinite(): Promise<{ block: number; layer: string } | null> {
    for (const [b, w] of this.blocks.entries()) {
      for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
        if (!(await l.weight.readF32()).every(Number.isFinite)) return { block: b, layer: role };
      }
    }
    const alpha = await this.alpha.readF32();
    for (const [b, groups] of this.groups.entries()) {
      const g = groups.find((x) => !alpha.subarray(x.offset, x.offset + x.group.size).every(Number.isFinite));
      if (g) return { block: b, layer: g.group.name };
    }
    return null;
  }

  /** α per group of block `b`, by group name (one read for the whole trainer is shared). */
  static snapshot(all: Float32Array, groups: PackedGroup[]): Record<string, number[]> {
    return Object.fromEntries(groups.map((g) => [g.group.name, Array.from(all.subarray(g.offset, g.offset + g.group.size))]));
  }

  /** Folds block `b`'s α into its fp weights (the preceding op's outputs divided, members' columns multiplied). */
  fold(b: number): void {
    for (const g of this.groups[b]) {
      const a = this.gpu.tensor([g.group.size], 'f32', `alpha ${g.group.name}`);
      this.gpu.copy(this.alpha, a, g.offset, 0, g.group.size);
      foldGroup(this.gpu, this.blocks[b], g.group, a);
      a.release();
    }
  }

  release(): void {
    this.owned.forEach((t) => t.release());
    this.owned = [];
  }
}

/** Folds α: the preceding op's output channels divided by α, the members' columns multiplied. */
function foldGroup(gpu: Gpu, w: BlockWeights, group: TeqGroup, alpha: Tensor): void {
  const prev = 'norm' in group.prev ? (group.prev.norm === 'attn' ? w.attnNorm : w.mlpNorm) : linearOf(w, group.prev.linear);
  scalePrev(gpu, prev, alpha, !('norm' in group.prev));
  scaleNext(
    gpu,
    group.members.map((r) => linearOf(w, r)),
    alpha,
  );
}

/** Row ids of the sequences `seqs` of a [count*seqLen, C] activation. */
function sequenceRows(gpu: Gpu, seqs: ArrayLike<number>, seqLen: number): Tensor {
  const ids = new Uint32Array(seqs.length * seqLen);
  for (let i = 0; i < seqs.length; i++) for (let t = 0; t < seqLen; t++) ids[i * seqLen + t] = seqs[i] * seqLen + t;
  return gpu.upload(ids, [ids.length], 'batch-rows');
}

export const TEQ_BLOCK_BATCH = 4;

/** Block-wise TEQ: each block's α trained on its output MSE, then folded and quantized. */
async function runTeqBlockwise(ctx: MethodContext): Promise<void> {
  const { gpu, cfg, config, spec } = ctx;
  const seqLen = ctx.calibShape.seqLen;
  const nSeq = ctx.calibShape.batch;
  // A resumed run rebuilds both chains through the finished blocks (stored codes / source weights).
  const start = ctx.startBlock ?? 0;
  let xq = await chainInput(ctx, 'quantized', start);
  let xf = await chainInput(ctx, 'fp', start);
  const history = ((ctx.details.teq as { blocks?: unknown[] } | undefined)?.blocks ?? []) as {
    block: number;
    losses: number[];
    alpha: Record<string, number[]>;
  }[];
  ctx.details.teq = { loss: 'block', estimator: config.teqEstimator, init: config.teqInit, blocks: history };
  const report = progressReporter(ctx, 'teq');
  for (let b = start; b < cfg.layers; b++) {
    checkCancelled(ctx);
    const source = await loadBlockWeights(gpu, ctx.source, b);
    const yf = chainForward(gpu, cfg, source, xf, ctx.calibShape);
    releaseBlockWeights(source);
    let w!: BlockWeights;
    let lossValues!: number[];
    let alphaSnap!: Record<string, number[]>;
    for (let attempt = 0; ; attempt++) {
      // Sampling seeded per block (and attempt): a resumed run draws what an uninterrupted one does.
      const rand = mulberry32(blockSeed(config.seed, b, 17 + attempt));
      const lrScale = attempt === 0 ? 1 : RETRY_LR_FACTOR;
      w = await loadBlockWeights(gpu, ctx.source, b);
      if (config.teqInit !== 'ones') await awqBlock(gpu, cfg, w, xq, ctx.calibShape, spec, { clip: config.teqInit === 'awq-clip', signal: ctx.signal });
      const trainer = new TeqTrainer(gpu, cfg, [w], spec);
      const steps = config.steps;
      const losses = gpu.zeros([Math.max(1, steps)], 'teq-losses');
      try {
        const inFlight: Promise<unknown>[] = [];
        for (let step = 0; step < steps; step++) {
          if (step > 0) await paceSubmissions(ctx, inFlight);
          report(b * steps + step, cfg.layers * steps, `block ${b + 1} of ${cfg.layers} · step ${step + 1} of ${steps}`);
          const seqs = pickSequences(rand, nSeq, TEQ_BLOCK_BATCH);
          const shape: BatchShape = { batch: seqs.length, seqLen };
          const rows = sequenceRows(gpu, seqs, seqLen);
          const xb = embeddingGather(gpu, xq, rows);
          const tb = embeddingGather(gpu, yf, rows);
          rows.release();
          trainer.refresh();
          const eff = trainer.effectiveBlock(0);
          const { y, acts } = blockForward(gpu, cfg, eff, xb, shape, true);
          const tokens = seqs.length * seqLen;
          const dy = mseWithGrad(gpu, y, tb, { gradScale: 2 / tokens, lossScale: 1 / tokens, loss: losses, slot: step });
          const g = blockBackward(gpu, cfg, eff, acts!, dy, shape, trainer.trainedRoles(0));
          trainer.contribute(0, g.dW, config.teqEstimator);
          trainer.update(teqLearningRate(config.lr * lrScale, step, steps), step + 1);
          Object.values(g.dW).forEach((t) => t?.release());
          [g.dx, dy, y, tb].forEach((t) => t.release());
          releaseActivations(acts!, true);
          gpu.flush();
        }
        alphaSnap = TeqTrainer.snapshot(await trainer.alpha.readF32(), trainer.groups[0]);
        trainer.fold(0);
      } finally {
        trainer.release();
      }
      lossValues = steps ? Array.from(await losses.readF32()) : [];
      losses.release();
      const badGroup = Object.entries(alphaSnap).find(([, v]) => !v.every(Number.isFinite))?.[0];
      if (lossValues.every(Number.isFinite) && !badGroup) break;
      // A weight of the block that holds NaN/Inf is named rather than the group it spread to.
      const detail = 'a non-finite loss or scale during TEQ training';
      const e = await blameSourceWeights(new NonFiniteError(b, badGroup ?? 'the block output', detail), detail, ctx.source, cfg.arch);
      releaseBlockWeights(w); // the rollback: the block's weights from the source again
      if (attempt > 0) {
        yf.release();
        throw finalDivergence(e);
      }
      ctx.emit({ type: 'log', message: `${e.message} Rolling block ${b} back and retrying with a tenth of the learning rate.` });
    }
    lossValues.forEach((value, step) => ctx.emit({ type: 'loss', series: `TEQ block ${b}`, step, value }));
    for (const [group, values] of Object.entries(alphaSnap)) ctx.emit({ type: 'scales', block: b, group, values });
    history.push({ block: b, losses: lossValues, alpha: alphaSnap });
    await readBlockOverrides(cfg, w, ctx.overrides);
    const qs = await quantizeBlockRtn(gpu, cfg, w, spec);
    for (const q of qs) ctx.linears.set(q.name, q);
    // The next block sees this block's quantized output.
    const qb = new QuantizedBlocks(gpu, ctx.source, { config: cfg, spec, linears: new Map(qs.map((q) => [q.name, q])), overrides: ctx.overrides }, true);
    const wq = await qb.get(b);
    const yq = chainForward(gpu, cfg, wq, xq, ctx.calibShape);
    qb.release();
    releaseBlockWeights(w);
    xq.release();
    xf.release();
    xq = yq;
    xf = yf;
    report((b + 1) * config.steps, cfg.layers * config.steps, `block ${b + 1} of ${cfg.layers} done`, true);
    await ctx.onBlockDone?.(b);
  }
  xq.release();
  xf.release();
}

/** Steps between read-backs of TEQ's LM training (non-finite checks, rollback points). */
export const TEQ_LM_CHECK_EVERY = 32;

/** TEQ's LM training at a step boundary: α, Adam moments, the losses so far, the sampler. */
interface TeqLmState {
  step: number;
  rng: number;
  tensors: Record<string, Float32Array>;
  losses: Float32Array;
}

/** The held-out selection's part of a checkpoint: the kept α and the scores so far. */
interface TeqLmSelection {
  kept: TeqKept | null;
  scores: TeqHeldOutScore[];
}

function selectionTensors(sel: TeqLmSelection): Record<string, Float32Array> {
  if (!sel.kept) return {};
  return {
    'kept.alpha': sel.kept.alpha,
    'kept.score': Float32Array.of(sel.kept.step, sel.kept.loss),
    ...(sel.kept.windows ? { 'kept.windows': sel.kept.windows } : {}),
    'heldout.steps': Float32Array.from(sel.scores, (s) => s.step),
    'heldout.losses': Float32Array.from(sel.scores, (s) => s.loss),
  };
}

function storedLmState(p: NonNullable<MethodContext['resumeProgress']>, heldOut: boolean): { state: TeqLmState; selection: TeqLmSelection } {
  const {
    losses,
    'kept.alpha': keptAlpha,
    'kept.score': keptScore,
    'kept.windows': keptWindows,
    'heldout.steps': scoreSteps,
    'heldout.losses': scoreLosses,
    ...tensors
  } = p.progress.tensors;
  const floats = (t: unknown): t is Float32Array => t instanceof Float32Array;
  if (p.rngState.length !== 1 || !floats(losses) || losses.length !== p.progress.step || !Object.values(tensors).every(floats)) {
    throw new Error('TEQ checkpoint: the sampler state, the losses or the parameters do not match its step');
  }
  const state = { step: p.progress.step, rng: p.rngState[0], tensors: tensors as Record<string, Float32Array>, losses };
  if (!heldOut) return { state, selection: { kept: null, scores: [] } };
  if (
    !floats(keptAlpha) ||
    !floats(keptScore) ||
    keptScore.length !== 2 ||
    !floats(scoreSteps) ||
    !floats(scoreLosses) ||
    scoreSteps.length !== scoreLosses.length
  ) {
    throw new Error(
      'TEQ checkpoint: no held-out selection (kept α and scores) although the run holds windows out; it was saved by an older version: start the run again',
    );
  }
  const scores = Array.from(scoreSteps, (step, i) => ({ step, loss: scoreLosses[i] }));
  const windows = floats(keptWindows) ? keptWindows : undefined; // absent in checkpoints saved before per-window losses were kept
  return { state, selection: { kept: { step: keptScore[0], loss: keptScore[1], alpha: keptAlpha, windows }, scores } };
}

/** Steps at which the held-out windows score α: the start, every TEQ_LM_CHECK_EVERY steps, the end. */
function scoredAt(step: number, steps: number): boolean {
  return step % TEQ_LM_CHECK_EVERY === 0 || step === steps;
}

/** TEQ with the model's own next-token loss through the whole model (all blocks resident). */
async function runTeqLm(ctx: MethodContext): Promise<void> {
  const { gpu, cfg, config, spec } = ctx;
  const seqLen = ctx.calibShape.seqLen;
  const rand = new SeekableRandom(config.seed + 29);
  // The last windows are held out: training draws from the others only.
  const heldOut = teqHoldoutWindows(ctx.calibShape.batch, config.teqHoldout ?? 0);
  const trainWindows = ctx.calibShape.batch - heldOut;
  // Wall seconds of the phase's parts (studio bench reports them beside the phase).
  let mark = performance.now();
  const part = (name: string) => {
    const now = performance.now();
    ctx.seconds[`teq-${name}`] = (ctx.seconds[`teq-${name}`] ?? 0) + (now - mark) / 1000;
    mark = now;
  };
  const blocks: BlockWeights[] = [];
  for (let b = 0; b < cfg.layers; b++) blocks.push(await loadBlockWeights(gpu, ctx.source, b));
  part('weights');
  if (config.teqInit !== 'ones') {
    // As runAwq does it (each block searched on the previous block's full-precision output, taken
    // before the search transforms it), so with α = 1 the folded model and its codes are AWQ's,
    // clipping included with 'awq-clip'.
    let x = embedTokens(gpu, ctx.globals, ctx.calibIds, ctx.calibShape);
    try {
      for (const w of blocks) {
        const y = chainForward(gpu, cfg, w, x, ctx.calibShape);
        try {
          await awqBlock(gpu, cfg, w, x, ctx.calibShape, spec, { clip: config.teqInit === 'awq-clip', signal: ctx.signal });
        } finally {
          x.release();
          x = y;
        }
      }
    } catch (e) {
      blocks.forEach(releaseBlockWeights); // a cancel during the search
      throw e;
    } finally {
      x.release();
    }
    await gpu.sync();
    part('init');
  }
  const trainer = new TeqTrainer(gpu, cfg, blocks, spec);
  const steps = config.steps;
  const losses = gpu.zeros([Math.max(1, steps)], 'teq-losses');
  const shape: BatchShape = { batch: 1, seqLen };

  /**
   * Mean per-token cross-entropy of the held-out windows with the current α (f32, as checkpoints
   * hold it; every product f32, src/quant/window-losses.ts), and each window's, for keepBetter's
   * paired comparison.
   */
  const heldOutIds = ctx.calibIds.subarray(trainWindows * seqLen, (trainWindows + heldOut) * seqLen);
  const scoreHeldOut = () => {
    trainer.refresh();
    return heldOutScore(gpu, cfg, ctx.globals, heldOutIds, seqLen, { get: async (b) => trainer.effectiveBlock(b), done: () => undefined });
  };

  let alphaAll: Float32Array;
  let selection: TeqLmSelection = { kept: null, scores: [] };
  try {
    // The last state known to be finite: where a divergence rolls back to, and what checkpoints hold.
    const stored = ctx.resumeProgress ? storedLmState(ctx.resumeProgress, heldOut > 0) : null;
    let good: TeqLmState = stored ? stored.state : { step: 0, rng: rand.state, tensors: await trainer.readState(), losses: new Float32Array(0) };
    // A state stored during the retry continues the retry (its learning rate was lowered).
    let lrScale = stored && ctx.resumeProgress!.progress.lr !== undefined && ctx.resumeProgress!.progress.lr !== config.lr ? RETRY_LR_FACTOR : 1;
    const restore = (s: TeqLmState) => {
      trainer.writeState(s.tensors);
      if (s.losses.length) gpu.write(losses, s.losses);
      rand.state = s.rng;
      return s.step;
    };
    /** Scores the current α (state.tensors.alpha) on the held-out windows; keeps it if clearly better than the kept one (keepBetter). */
    const select = async (step: number, alpha: Float32Array) => {
      const { loss, windows } = await scoreHeldOut();
      selection.scores.push({ step, loss });
      selection.kept = keepBetter(selection.kept, step, loss, alpha, windows);
    };
    if (stored) selection = stored.selection;
    else if (heldOut) await select(0, good.tensors.alpha);
    let step = stored ? restore(good) : 0;
    const inFlight: Promise<unknown>[] = [];
    while (step < steps) {
      checkCancelled(ctx);
      const seq = pickSequences(rand.next, trainWindows, 1)[0];
      const ids = ctx.calibIds.slice(seq * seqLen, (seq + 1) * seqLen);
      // Both uploads before anything is encoded, so neither splits the step's submission.
      const targets = gpu.upload(nextTokenTargets(ids, seqLen), [seqLen], 'targets');
      let h = embedTokens(gpu, ctx.globals, ids, shape);
      trainer.refresh();
      const saved = [];
      for (let b = 0; b < cfg.layers; b++) {
        const { y, acts } = blockForward(gpu, cfg, trainer.effectiveBlock(b), h, shape, true);
        saved.push(acts!);
        h = y;
      }
      const n = finalNorm(gpu, cfg, ctx.globals, h);
      const logits = lmHead(gpu, ctx.globals, n.y);
      const ce = crossEntropy(gpu, logits, targets);
      sumInto(gpu, ce.loss, { scale: 1 / (seqLen - 1), into: losses, slot: step });
      const dlogits = crossEntropyBackward(gpu, logits, targets, ce.lse, 1 / (seqLen - 1));
      const dn = matmul(gpu, dlogits, ctx.globals.lmHead);
      let dh = normBackwardDx(gpu, dn, h, ctx.globals.finalNorm.weight, n.rstd, { mean: n.mean });
      [dn, dlogits, logits, targets, ce.loss, ce.lse, n.y, n.rstd, h].forEach((t) => t.release());
      n.mean?.release();
      for (let b = cfg.layers - 1; b >= 0; b--) {
        const g = blockBackward(gpu, cfg, trainer.effectiveBlock(b), saved[b], dh, shape, trainer.trainedRoles(b));
        trainer.contribute(b, g.dW, config.teqEstimator);
        Object.values(g.dW).forEach((t) => t?.release());
        dh.release();
        dh = g.dx;
        releaseActivations(saved[b], true);
      }
      dh.release();
      trainer.update(teqLearningRate(config.lr * lrScale, step, steps), step + 1);
      gpu.flush();
      step++;
      ctx.emit({ type: 'progress', phase: 'teq', done: step, total: steps, detail: `step ${step} of ${steps}` });
      await paceSubmissions(ctx, inFlight);
      // Every so often (and at the end, and when a checkpoint is due) the state is read back and checked.
      const checkpointDue = step < steps && (ctx.progress?.due() ?? false);
      if (step % TEQ_LM_CHECK_EVERY !== 0 && step !== steps && !checkpointDue) continue;
      const [tensors, lossValues] = await Promise.all([trainer.readState(), losses.readF32()]);
      const state: TeqLmState = { step, rng: rand.state, tensors, losses: lossValues.slice(0, step) };
      if (state.losses.every(Number.isFinite) && Object.values(state.tensors).every((t) => t.every(Number.isFinite))) {
        // Scored at fixed steps only (never because a checkpoint was due), so an interrupted run keeps what an uninterrupted one does.
        if (heldOut && scoredAt(step, steps)) await select(step, state.tensors.alpha);
        good = state;
        if (checkpointDue) {
          await ctx.progress!.save(
            { block: 0, step, lr: config.lr * lrScale, tensors: { ...state.tensors, losses: state.losses, ...selectionTensors(selection) } },
            [state.rng],
          );
        }
        continue;
      }
      const where = (await trainer.firstNonFinite()) ?? { block: 0, layer: 'the LM loss' };
      const detail = `a non-finite loss or scale by step ${step} of TEQ training`;
      const e = await blameSourceWeights(new NonFiniteError(where.block, where.layer, detail), detail, ctx.source, cfg.arch);
      if (lrScale !== 1) throw finalDivergence(e);
      lrScale = RETRY_LR_FACTOR;
      ctx.emit({ type: 'log', message: `${e.message} Rolling back to step ${good.step} and retrying with a tenth of the learning rate.` });
      step = restore(good);
    }
    if (selection.kept) {
      gpu.write(trainer.alpha, selection.kept.alpha);
      const start = selection.scores[0];
      ctx.emit({
        type: 'log',
        message: `TEQ keeps the scales of step ${selection.kept.step} of ${steps}: held-out loss ${selection.kept.loss.toFixed(5)} (start ${start.loss.toFixed(5)}) on ${heldOut} of ${ctx.calibShape.batch} calibration windows.`,
      });
    }
    alphaAll = await trainer.alpha.readF32();
    part('steps');
    for (let b = 0; b < cfg.layers; b++) trainer.fold(b);
  } catch (e) {
    losses.release();
    blocks.forEach((w) => releaseBlockWeights(w));
    throw e;
  } finally {
    trainer.release();
  }
  const lossValues = steps ? Array.from(await losses.readF32()) : [];
  losses.release();
  lossValues.forEach((value, step) => ctx.emit({ type: 'loss', series: 'TEQ LM loss', step, value }));
  selection.scores.forEach(({ step, loss }) => ctx.emit({ type: 'loss', series: 'TEQ held-out loss', step, value: loss }));
  const history: { block: number; alpha: Record<string, number[]>; moved: Record<string, { meanAbsLog: number; maxAbsLog: number }> }[] = [];
  // Every block's reads queued before the first wait: one round trip to the GPU, not one per tensor.
  const stores = await Promise.all(blocks.map((w) => Promise.all([readBlockOverrides(cfg, w, ctx.overrides), quantizeBlockRtn(gpu, cfg, w, spec)])));
  for (let b = 0; b < cfg.layers; b++) {
    const alphaSnap = TeqTrainer.snapshot(alphaAll, trainer.groups[b]);
    for (const [group, values] of Object.entries(alphaSnap)) ctx.emit({ type: 'scales', block: b, group, values });
    const moved = Object.fromEntries(Object.entries(alphaSnap).map(([group, values]) => [group, alphaMovement(values)]));
    history.push({ block: b, alpha: alphaSnap, moved });
    for (const q of stores[b][1]) ctx.linears.set(q.name, q);
    releaseBlockWeights(blocks[b]);
  }
  part('store');
  const kept = selection.kept
    ? {
        heldOutWindows: heldOut,
        trainWindows,
        keptStep: selection.kept.step,
        keptLoss: selection.kept.loss,
        startLoss: selection.scores[0].loss,
        scores: selection.scores,
      }
    : { heldOutWindows: 0, trainWindows, keptStep: steps };
  ctx.details.teq = { loss: 'lm', estimator: config.teqEstimator, init: config.teqInit, losses: lossValues, selection: kept, blocks: history };
}

export async function runTeq(ctx: MethodContext): Promise<void> {
  if (ctx.config.teqLoss === 'lm') await runTeqLm(ctx);
  else await runTeqBlockwise(ctx);
}
