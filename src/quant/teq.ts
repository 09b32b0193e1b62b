// TEQ: trainable per-channel scales α, trained with a straight-through estimator and folded into
// the model, followed by plain min/max quantization (arXiv 2310.10944).
// Two losses: 'block' (each block's output MSE against full-precision targets, one block resident)
// and 'lm' (the model's own next-token cross-entropy through the whole model, the reference trainer).
// The LM training is read back every TEQ_LM_CHECK_EVERY steps (and when a checkpoint is due): a
// non-finite state rolls back to the last finite one and retries at a tenth of the learning rate.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { blockForward, blockBackward, releaseActivations, type BatchShape } from '../model/block';
import { loadBlockWeights, releaseBlockWeights, type BlockWeights } from '../model/block-weights';
import { blocksForward } from '../model/block-chain';
import { embedTokens, headInput, headInputBackward, lmHead, lmHeadBackward, releaseHeadInput } from '../model/gpu-model';
import { TeqTrainer } from './teq-trainer';
import { mseWithGrad, sumInto } from '../ops/mse-grad';
import { embeddingGather } from '../ops/embedding';
import { crossEntropy, crossEntropyBackward } from '../ops/cross-entropy';
import { mulberry32 } from '../reference/rng';
import { SeekableRandom } from './seekable-random';
import { awqBlock } from './awq';
import { quantizeBlockRtn } from './rtn';
import { readBlockOverrides } from './transformed';
import { QuantizedBlocks } from './quantized-model';
import { blockSeed, checkCancelled, paceSubmissions, pickSequences, progressReporter, type MethodContext } from './method-context';
import { alphaMovement, keepBetter, selectionDecisions, teqHoldoutWindows, type TeqHeldOutScore, type TeqKept } from './teq-holdout';
import { chainForward, chainInput } from './chains';
import { heldOutScore } from './window-losses';
import { NonFiniteError, RETRY_LR_FACTOR, blameSourceWeights, finalDivergence } from './non-finite';
import { nextTokenTargets } from '../ops/cross-entropy';
import { lossGradientScale } from '../ops/precision';

/** 5% linear warm-up, then linear decay to zero (transformers' "linear" schedule). */
export function teqLearningRate(base: number, step: number, total: number): number {
  const warm = Math.max(1, Math.round(total * 0.05));
  if (step < warm) return (base * (step + 1)) / warm;
  return (base * Math.max(0, total - step)) / Math.max(1, total - warm);
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
          trainer.refresh(seqs.length * seqLen);
          const eff = trainer.effectiveBlock(0);
          const { y, acts } = blockForward(gpu, cfg, eff, xb, shape, true);
          const tokens = seqs.length * seqLen;
          const scale = lossGradientScale(tokens); // the gradient in f16's range, undone in the update
          const dy = mseWithGrad(gpu, y, tb, { gradScale: (2 * scale) / tokens, lossScale: 1 / tokens, loss: losses, slot: step });
          const g = blockBackward(gpu, cfg, eff, acts!, dy, shape, trainer.trainedRoles(0));
          trainer.contribute(0, g.dW, config.teqEstimator);
          trainer.update(teqLearningRate(config.lr * lrScale, step, steps), step + 1, 1 / scale);
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
    // every score's per-window losses, one after another (Inspect's margins: selectionDecisions)
    ...(sel.scores.every((s) => s.windows) ? { 'heldout.windows': Float32Array.from(sel.scores.flatMap((s) => Array.from(s.windows!))) } : {}),
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
    'heldout.windows': scoreWindows,
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
  // per-window losses are absent in checkpoints saved before they were kept
  const n = floats(keptWindows) ? keptWindows.length : 0;
  const perScore = n > 0 && floats(scoreWindows) && scoreWindows.length === n * scoreSteps.length;
  const scores = Array.from(scoreSteps, (step, i) => ({
    step,
    loss: scoreLosses[i],
    ...(perScore ? { windows: scoreWindows.slice(i * n, (i + 1) * n) } : {}),
  }));
  const windows = n > 0 ? (keptWindows as Float32Array) : undefined;
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
  // The next-token loss's gradient in f16's range (lossGradientScale), undone in the update.
  const gradScale = lossGradientScale(seqLen - 1);

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
      selection.scores.push({ step, loss, windows });
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
      const x = embedTokens(gpu, ctx.globals, ids, shape);
      trainer.refresh(seqLen);
      const { h, saved } = blocksForward(gpu, cfg, (b) => trainer.effectiveBlock(b), x, shape, cfg.layers);
      const head = headInput(gpu, cfg, ctx.globals, h);
      const logits = lmHead(gpu, ctx.globals, head.y);
      const ce = crossEntropy(gpu, logits, targets);
      sumInto(gpu, ce.loss, { scale: 1 / (seqLen - 1), into: losses, slot: step });
      const dlogits = crossEntropyBackward(gpu, logits, targets, ce.lse, gradScale / (seqLen - 1));
      const dh = headInputBackward(gpu, ctx.globals, h, head, lmHeadBackward(gpu, ctx.globals, dlogits));
      [dlogits, logits, targets, ce.loss, ce.lse, h].forEach((t) => t.release());
      releaseHeadInput(head);
      trainer.backward(saved, dh, shape, config.teqEstimator);
      trainer.update(teqLearningRate(config.lr * lrScale, step, steps), step + 1, 1 / gradScale);
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
        scores: selectionDecisions(selection.scores),
      }
    : { heldOutWindows: 0, trainWindows, keptStep: steps };
  ctx.details.teq = { loss: 'lm', estimator: config.teqEstimator, init: config.teqInit, losses: lossValues, selection: kept, blocks: history };
}

export async function runTeq(ctx: MethodContext): Promise<void> {
  if (ctx.config.teqLoss === 'lm') await runTeqLm(ctx);
  else await runTeqBlockwise(ctx);
}
