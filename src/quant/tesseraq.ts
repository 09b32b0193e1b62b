// TesseraQ (Li & Panda, arXiv 2410.19103; LLMC's tesseraq.py), block by block, on the GPU:
//   inputs Xq from the quantized chain, targets Yfp from the full-precision chain;
//   initialise the block (AWQ scales + clip by default), freeze s, z per group, v = rectsig⁻¹(frac),
//   u = 0; for each threshold t_i of the schedule: harden all but the t_i least confident rounding
//   variables of every Linear, then tqIters Adam steps on ‖B(Xq; Ŵ) − Yfp‖² (summed over the hidden
//   size, mean over tokens) with fresh optimizer state; finally harden the rest by h > 0.5 and
//   store the integer codes with the tuned scale s·f and the zero point z.
// The iteration loop never reads back: losses go to a GPU buffer read once per round, while the next
// round runs (so the GPU does not wait for the CPU between rounds). After a round the block's state
// can be read back for a checkpoint and a resumed run continues from it (tesseraq-state.ts); the
// batch sampler's state goes with it.
import { checkHalfOverflow, halfCopyTarget, keepHalfCopy, lossGradientScale } from '../ops/precision';
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { CancelledError } from '../gpu/errors';
import type { ModelConfig } from '../core/model-config';
import { blockForward, blockBackward, releaseActivations, type BatchShape } from '../model/block';
import { loadBlockWeights, releaseBlockWeights, type BlockWeights } from '../model/block-weights';
import { linearName, type LinearRole } from '../core/tensor-names';
import { mseWithGrad } from '../ops/mse-grad';
import { meanSquaredError } from '../ops/reduce';
import { embeddingGather } from '../ops/embedding';
import { dequantizeWeight, quantizeWeight, type GpuQuantized } from '../ops/quantize';
import {
  releaseTqLinear,
  tqAdamState,
  tqExport,
  tqHarden,
  tqHardenQuantile,
  tqInit,
  tqSoftWeight,
  tqStats,
  tqStep,
  tqHalfFits,
  type TqLinear,
} from '../ops/tesseraq';
import { SeekableRandom } from './seekable-random';
import { readRoundState, writeRoundState, type TqRoundState } from './tesseraq-state';
import { chainForward, chainInput } from './chains';
import { pickSequences } from './method-context';
import { NonFiniteError, RETRY_LR_FACTOR, blameSourceWeights, countNonFinite, finalDivergence } from './non-finite';
import type { RunConfig } from '../core/run-types';
import type { QuantSpec } from '../core/quant-spec';
import { awqBlock, type AwqBlockReport } from './awq';
import { readQuantized } from './quantized-model';
import { readBlockOverrides } from './transformed';
import { tesseraqSchedule, TQ_HIST_BINS } from '../core/tesseraq-schedule';
import { checkCancelled, progressReporter, type MethodContext } from './method-context';

export interface TesseraqOptions {
  /** Adam steps per hardening round. */
  iters: number;
  /** Soft fractions t_i, one round each. */
  schedule: readonly number[];
  /** Calibration sequences per step. */
  batch: number;
  /** Adam learning rate of the rounding logits v. */
  lr: number;
  /** Adam learning rate and L2 weight decay of the scale logits u. */
  scaleLr: number;
  scaleWeightDecay: number;
  seed: number;
  /** Steps submitted ahead of the GPU before the CPU waits (bounds run-ahead; no data is read). */
  inFlight?: number;
}

/** LLMC's shipped configs: lr = scale_lr = 1e-3, weight decay 1e-4 on u, fresh Adam per round. */
export function tesseraqOptions(config: RunConfig): TesseraqOptions {
  return {
    iters: config.tqIters,
    schedule: tesseraqSchedule(config.tqSchedule),
    batch: config.tqBatch,
    lr: config.tqLr,
    scaleLr: config.tqLr,
    scaleWeightDecay: 1e-4,
    seed: config.seed,
  };
}

export interface TesseraqLayerReport {
  role: LinearRole;
  /** Hard fraction after each round's hardening. */
  hardFraction: number[];
  /** Final codes whose rounding direction differs from round-to-nearest with the same s, z. */
  flips: number;
  flipFraction: number;
  elements: number;
  /** Mean of the tuned factors f = 2·rectsig(u). */
  meanF: number;
}

export interface TesseraqBlockReport {
  block: number;
  /** Mean over calibration tokens of ‖B(Xq) − Yfp‖², round-to-nearest with the same s, z. */
  rtnLoss: number;
  /** The same with TesseraQ's final codes and scales. */
  finalLoss: number;
  /**
   * Per round: wall seconds until its losses were read back (from the block's start for the first,
   * else from the previous round's losses). A round's losses are read while the next round runs.
   */
  rounds: { t: number; losses: number[]; seconds?: number }[];
  layers: TesseraqLayerReport[];
  /** Wall seconds of this block's parts (the driver adds weights, target, init and store). */
  seconds: Record<string, number>;
  /** Distribution of the factors f over every group of the block. */
  f: { min: number; max: number; mean: number; lo: number; hi: number; counts: number[] };
}

export interface TesseraqBlockResult {
  quantized: Map<LinearRole, GpuQuantized>;
  /** The block's output on Xq with the final quantized weights: the next block's Xq. */
  y: Tensor;
  report: TesseraqBlockReport;
}

export interface TesseraqHooks {
  /** After each round with that round's per-step losses (global step = round·iters + i). */
  onRound?: (round: number, losses: number[]) => void;
  /** After each iteration is submitted (progress inside a round). */
  onIteration?: (round: number, iteration: number) => void;
  signal?: AbortSignal;
  /** Asked after each round but the last: whether to read the state back for onState (a checkpoint). */
  stateDue?: () => boolean;
  onState?: (s: TqRoundState) => Promise<void>;
  /** Continue after this state's rounds instead of from round 0 (`w` initialised as before). */
  resume?: TqRoundState;
}

/** A block whose Linears use other weight tensors (same biases and norms). */
function withLinearWeights(w: BlockWeights, weights: Map<LinearRole, Tensor>): BlockWeights {
  const linears: BlockWeights['linears'] = {};
  for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
    linears[role] = { weight: weights.get(role) ?? l.weight, bias: l.bias };
  }
  return { ...w, linears };
}

/**
 * Mean over tokens of the summed squared error of the whole calibration set through block `w`, and
 * the block's output (with the final weights: the next block's input, so f32 as chainForward's).
 */
function fullLoss(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, x: Tensor, target: Tensor, shape: BatchShape, into: Tensor, slot: number): Tensor {
  const y = chainForward(gpu, cfg, w, x, shape);
  const l = meanSquaredError(gpu, y, target, { denominator: shape.batch * shape.seqLen });
  gpu.copy(l, into, 0, slot, 1);
  l.release();
  return y;
}

function fHistogram(values: number[], bins = 24): TesseraqBlockReport['f'] {
  let min = Infinity,
    max = -Infinity,
    sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const lo = min,
    hi = max > min ? max : min + 1e-6;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  return { min, max, mean: sum / Math.max(1, values.length), lo, hi, counts };
}

const rectSig = (x: number) => Math.min(1, Math.max(0, 1.2 / (1 + Math.exp(-x)) - 0.1));

/**
 * TesseraQ on one block whose weights `w` are already initialised (transformed in place, e.g. by
 * AWQ). xq [N·T, C] is the quantized chain's input, yfp [N·T, C] the full-precision block output.
 * `w` is left as it was (the transformed fp weights); the caller owns xq, yfp and the results.
 */
export async function tesseraqBlock(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  xq: Tensor,
  yfp: Tensor,
  shape: BatchShape,
  spec: QuantSpec,
  opts: TesseraqOptions,
  hooks: TesseraqHooks = {},
): Promise<TesseraqBlockResult> {
  const roles = Object.keys(w.linears) as LinearRole[];
  const { seqLen } = shape;
  const C = xq.shape[xq.shape.length - 1];
  const B = Math.min(opts.batch, shape.batch);
  const bShape: BatchShape = { batch: B, seqLen };
  const tokensB = B * seqLen;
  const rounds = opts.schedule.length;
  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => (owned.push(t), t);
  const tq = new Map<LinearRole, TqLinear>();
  try {
    for (const role of roles) tq.set(role, tqInit(gpu, w.linears[role]!.weight, spec));
    const stats = own(gpu.zeros([(rounds + 1) * roles.length * 2], 'tq.stats', 'u32'));
    const blockLosses = own(gpu.zeros([2], 'tq.blockLosses'));

    // Round-to-nearest with the same frozen s, z: the baseline the rounding has to beat.
    const rtnWeights = new Map(roles.map((r) => [r, quantizeWeight(gpu, w.linears[r]!.weight, spec, { codes: false, dequant: true }).deq!]));
    fullLoss(gpu, cfg, withLinearWeights(w, rtnWeights), xq, yfp, shape, blockLosses, 0).release();
    rtnWeights.forEach((t) => t.release());

    const soft = new Map(roles.map((r) => [r, own(gpu.tensor(w.linears[r]!.weight.shape, 'f32', `tq.soft.${r}`))]));
    /** Where a step's products read a soft weight in f16: the f16 copy its kernel writes beside it (ops/precision.ts). */
    const softHalf = (role: LinearRole) => {
      const t = soft.get(role)!;
      return tqHalfFits(gpu) ? halfCopyTarget(gpu, t.shape, `${role}.weight`, 2 * tokensB * t.size) : null;
    };
    const softBlock = withLinearWeights(w, soft);
    // Adam moments of v and u per Linear, fresh each round (tqStep updates them in place).
    const adam = new Map(roles.map((r) => [r, own(tqAdamState(gpu, tq.get(r)!))]));
    const scratch = { hist: own(gpu.tensor([TQ_HIST_BINS], 'u32', 'tq.hist')), thr: own(gpu.tensor([1], 'u32', 'tq.thr')) };
    const lossBuf = own(gpu.zeros([Math.max(1, opts.iters)], 'tq.losses'));
    // Whole sequences are gathered as rows of [N, T·C].
    const xTable = xq.view([shape.batch, seqLen * C]);
    const yTable = yfp.view([shape.batch, seqLen * C]);
    const rand = new SeekableRandom(hooks.resume?.rng ?? (opts.seed ^ Math.imul(w.index + 1, 0x9e3779b1)) >>> 0);
    const inFlight: Promise<unknown>[] = [];
    // The loss's gradient in f16's range (lossGradientScale), undone by tqStep.
    const gradScale = lossGradientScale(tokensB);
    const adamBase = { beta1: 0.9, beta2: 0.999, eps: 1e-8, gradScale: 1 / gradScale };
    const report: TesseraqBlockReport = { block: w.index, rtnLoss: NaN, finalLoss: NaN, rounds: [], layers: [], f: fHistogram([]), seconds: {} };
    // the baseline's forward is counted with the first round's hardening until that round's readback
    let roundStart = performance.now();

    const firstRound = hooks.resume?.rounds ?? 0;
    if (hooks.resume) {
      writeRoundState(gpu, tq, stats, hooks.resume);
      const done = hooks.resume.tensors.losses;
      for (let r = 0; r < firstRound; r++) report.rounds.push({ t: opts.schedule[r], losses: Array.from(done.subarray(r * opts.iters, (r + 1) * opts.iters)) });
    }
    // A round's losses: read back while the next round runs, then reported and checked.
    let pending: { r: number; losses: Promise<Float32Array> } | null = null;
    const finishRound = async (p: { r: number; losses: Promise<Float32Array> }) => {
      const losses = opts.iters ? Array.from(await p.losses).slice(0, opts.iters) : [];
      const now = performance.now();
      report.rounds.push({ t: opts.schedule[p.r], losses, seconds: (now - roundStart) / 1000 });
      roundStart = now;
      hooks.onRound?.(p.r, losses);
      if (!losses.every(Number.isFinite)) throw await nonFinite(cfg, w, roles, tq, `a non-finite loss in round ${p.r + 1}`);
    };
    for (let r = firstRound; r < rounds; r++) {
      roles.forEach((role, l) => {
        const L = tq.get(role)!;
        tqHardenQuantile(gpu, L, opts.schedule[r], scratch);
        tqStats(gpu, L, stats, r * roles.length + l);
        gpu.clear(adam.get(role)!);
        // The first step's soft weight; each tqStep then leaves the next one (and their f16 copies
        // for the steps' products where those are f16).
        const h = softHalf(role);
        tqSoftWeight(gpu, L, soft.get(role), h);
        keepHalfCopy(gpu, soft.get(role)!, h);
      });
      const ids: Tensor[] = [];
      for (let i = 0; i < opts.iters; i++) ids.push(own(gpu.upload(pickSequences(rand.next, shape.batch, B), [B], 'tq.batch')));
      for (let i = 0; i < opts.iters; i++) {
        if (hooks.signal?.aborted) throw new CancelledError('TesseraQ');
        const xb = embeddingGather(gpu, xTable, ids[i]).view([tokensB, C]);
        const yb = embeddingGather(gpu, yTable, ids[i]).view([tokensB, C]);
        ids[i].release();
        const { y, acts } = blockForward(gpu, cfg, softBlock, xb, bShape, true);
        // Loss (mean over tokens of the summed squared error) into its slot, and its gradient.
        const dy = mseWithGrad(gpu, y, yb, { gradScale: (2 * gradScale) / tokensB, lossScale: 1 / tokensB, loss: lossBuf, slot: i });
        y.release();
        yb.release();
        const g = blockBackward(gpu, cfg, softBlock, acts!, dy, bShape);
        g.dx.release();
        dy.release();
        releaseActivations(acts!, true);
        const stepOpts = { ...adamBase, lr: opts.lr, scaleLr: opts.scaleLr, scaleWeightDecay: opts.scaleWeightDecay, step: i + 1 };
        for (const role of roles) {
          // the last step's soft weight is only read by the final hardening (f32): no copy
          const h = i + 1 < opts.iters ? softHalf(role) : null;
          tqStep(gpu, tq.get(role)!, g.dW[role]!, adam.get(role)!, soft.get(role)!, stepOpts, h);
          keepHalfCopy(gpu, soft.get(role)!, h);
          g.dW[role]!.release();
        }
        gpu.flush();
        hooks.onIteration?.(r, i);
        inFlight.push(gpu.device.queue.onSubmittedWorkDone());
        if (inFlight.length > (opts.inFlight ?? 4)) await inFlight.shift();
      }
      if (pending) await finishRound(pending);
      // The copy is queued behind this round's steps and ahead of the next round's, which reuse lossBuf.
      const losses = lossBuf.readF32();
      losses.catch(() => undefined); // awaited below or by the next round; a lost device throws there
      pending = { r, losses };
      if (r < rounds - 1 && hooks.onState && (hooks.stateDue?.() ?? true)) {
        await finishRound(pending);
        pending = null;
        await hooks.onState(
          await readRoundState(
            tq,
            stats,
            r + 1,
            report.rounds.flatMap((x) => x.losses),
            rand.state,
          ),
        );
      }
    }
    if (pending) await finishRound(pending);
    inFlight.length = 0;

    // Everything still soft rounds by h > 0.5; export codes, s·f and z; the next block's input.
    const finalStart = performance.now();
    roles.forEach((role, l) => {
      tqHarden(gpu, tq.get(role)!, null, scratch.thr);
      tqStats(gpu, tq.get(role)!, stats, rounds * roles.length + l);
    });
    const quantized = new Map(roles.map((r) => [r, tqExport(gpu, tq.get(r)!)]));
    const deq = new Map(roles.map((r) => [r, dequantizeWeight(gpu, quantized.get(r)!, spec, tq.get(r)!.cols)]));
    const y = fullLoss(gpu, cfg, withLinearWeights(w, deq), xq, yfp, shape, blockLosses, 1);
    deq.forEach((t) => t.release());

    // Every read queued before the first wait: one round trip to the GPU.
    const [[rtnLoss, finalLoss], counts, ...us] = await Promise.all([
      blockLosses.readF32(),
      stats.read() as Promise<Uint32Array>,
      ...roles.map((role) => tq.get(role)!.u.readF32()),
    ]);
    const allF: number[] = [];
    for (const [l, role] of roles.entries()) {
      const L = tq.get(role)!;
      const n = L.rows * L.cols;
      const fs = Array.from(us[l], (u) => 2 * rectSig(u));
      for (const f of fs) allF.push(f); // not push(...fs): a 0.5B model's layer has 136k groups, over the argument limit
      const flips = counts[2 * (rounds * roles.length + l) + 1];
      report.layers.push({
        role,
        hardFraction: Array.from({ length: rounds }, (_, r) => counts[2 * (r * roles.length + l)] / n),
        flips,
        flipFraction: flips / n,
        elements: n,
        meanF: fs.reduce((a, b) => a + b, 0) / Math.max(1, fs.length),
      });
    }
    Object.assign(report, { rtnLoss, finalLoss, f: fHistogram(allF) });
    report.seconds.rounds = report.rounds.reduce((a, x) => a + (x.seconds ?? 0), 0);
    report.seconds.final = (performance.now() - finalStart) / 1000;
    return { quantized, y, report };
  } finally {
    tq.forEach((L) => releaseTqLinear(L));
    owned.forEach((t) => t.release());
  }
}

/** A checkpoint's in-progress block as tesseraqBlock resumes it. */
function storedRoundState(p: NonNullable<MethodContext['resumeProgress']>): TqRoundState {
  if (p.rngState.length !== 1) throw new Error(`TesseraQ checkpoint: ${p.rngState.length} generator states, expected 1`);
  return { rounds: p.progress.round!, tensors: p.progress.tensors, rng: p.rngState[0] };
}

/**
 * Names the cause: first a Linear of the block whose (initialised) full-precision weight or bias holds
 * non-finite values (the gradients then spread NaN to every Linear's learned values, so those would
 * blame the first Linear, not the one at fault), else the first Linear whose rounding logits or scale
 * factors are. The caller also checks the source model's tensors (blameSourceWeights).
 */
async function nonFinite(cfg: ModelConfig, w: BlockWeights, roles: LinearRole[], tq: Map<LinearRole, TqLinear>, detail: string): Promise<NonFiniteError> {
  for (const role of roles) {
    const l = w.linears[role]!;
    for (const [part, t] of [
      ['weight', l.weight],
      ['bias', l.bias],
    ] as const) {
      if (!t) continue;
      const bad = countNonFinite(await t.readF32());
      if (bad) {
        const name = `${linearName(cfg.arch, w.index, role)}.${part}`;
        return new NonFiniteError(w.index, role, `${detail}: the initialised ${name} holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or Inf)`);
      }
    }
  }
  for (const role of roles) {
    const L = tq.get(role)!;
    const bad = [...(await L.v.readF32()), ...(await L.u.readF32())].some((x) => !Number.isFinite(x));
    if (bad) return new NonFiniteError(w.index, role, `${detail}, non-finite rounding logits or scale factors`);
  }
  return new NonFiniteError(w.index, roles[0], detail);
}

/** A block's calibration tensors ([N·T, C], not owned by the initialiser). */
export interface BlockChains {
  /** Input from the already quantized blocks (what TesseraQ trains on). */
  xq: Tensor;
  /** Input from the full-precision blocks. */
  xfp: Tensor;
  /** The full-precision block's output on xfp (the target). */
  yfp: Tensor;
}

/** Transforms a block in place before TesseraQ (AWQ by default). */
export type TesseraqInit = (ctx: MethodContext, w: BlockWeights, chains: BlockChains, block: number) => Promise<void>;

/**
 * LLMC's recommended initialisation: AWQ scales then the AWQ clip search, on the quantized chain's
 * inputs (default) or, with tqInitInput=fp, the full-precision chain's, as LLMC's load_transform
 * does with scales saved from a separate AWQ run.
 */
export const awqInit: TesseraqInit = async (ctx, w, { xq, xfp }, block) => {
  const x = ctx.config.tqInitInput === 'fp' ? xfp : xq;
  const report: AwqBlockReport = await awqBlock(ctx.gpu, ctx.cfg, w, x, ctx.calibShape, ctx.spec, { clip: true, signal: ctx.signal });
  ctx.seconds['tesseraq-init-search'] = (ctx.seconds['tesseraq-init-search'] ?? 0) + (report.searchSeconds ?? 0);
  for (const s of report.subsets) ctx.emit({ type: 'scales', block, group: s.name, values: Array.from(s.scales) });
  const awq = (ctx.details.awq ??= []) as { block: number }[];
  const entry = { block, subsets: report.subsets.map((s) => ({ name: s.name, ratio: s.ratio, losses: s.losses, scales: Array.from(s.scales) })) };
  // a retried block, or one resumed from a checkpoint taken inside it, is initialised again: one report a block
  const at = awq.findIndex((r) => r.block === block);
  if (at < 0) awq.push(entry);
  else awq[at] = entry;
};

/**
 * The block-by-block TesseraQ driver with a given initialisation. Fills ctx.linears (codes, s·f, z),
 * ctx.overrides (the initialised fp tensors) and ctx.details.tesseraq (one report per block).
 */
export async function runTesseraqWithInit(ctx: MethodContext, init: TesseraqInit): Promise<void> {
  const { gpu, cfg, spec } = ctx;
  const opts = tesseraqOptions(ctx.config);
  const rounds = opts.schedule.length;
  // A resumed run rebuilds both chains through the finished blocks (stored codes / source weights)
  // and keeps their reports (from the checkpoint's details).
  const start = ctx.startBlock ?? 0;
  const before = (ctx.details.tesseraq as { blocks?: TesseraqBlockReport[] } | undefined)?.blocks ?? [];
  const reports: TesseraqBlockReport[] = before.filter((r) => r.block < start);
  ctx.details.tesseraq = { iters: opts.iters, schedule: [...opts.schedule], batch: opts.batch, lr: opts.lr, blocks: reports };
  const stored = ctx.resumeProgress?.progress.block === start && ctx.resumeProgress.progress.round !== undefined ? ctx.resumeProgress : undefined;
  let xq = await chainInput(ctx, 'quantized', start);
  let xfp = await chainInput(ctx, 'fp', start);
  const report = progressReporter(ctx, 'tesseraq');
  let submitted = 0; // iterations submitted so far, over all blocks
  try {
    for (let b = start; b < cfg.layers; b++) {
      checkCancelled(ctx);
      report(b * rounds * opts.iters, cfg.layers * rounds * opts.iters, `block ${b + 1} of ${cfg.layers} · AWQ initialisation`, true);
      // Target first, with the untouched weights (the clip of the initialisation is not exact);
      // the same tensors are then initialised in place (the forward was queued before).
      const tLoad = performance.now();
      let w = await loadBlockWeights(gpu, ctx.source, b);
      const tTarget = performance.now();
      const yfp = chainForward(gpu, cfg, w, xfp, ctx.calibShape);
      await gpu.sync(); // once per block: the target's time apart from the initialisation's
      const blockSeconds = { weights: (tTarget - tLoad) / 1000, target: (performance.now() - tTarget) / 1000, init: 0, store: 0 };
      const xfpIn = xfp;
      xfp = yfp;
      try {
        let res: TesseraqBlockResult | undefined;
        // A state stored during the retry continues the retry (its learning rate was lowered).
        const resumeState = b === start && stored ? storedRoundState(stored) : undefined;
        const firstAttempt = resumeState && stored!.progress.lr !== undefined && stored!.progress.lr !== opts.lr ? 1 : 0;
        for (let attempt = firstAttempt; !res; attempt++) {
          const t0 = performance.now();
          await init(ctx, w, { xq, xfp: xfpIn, yfp }, b);
          await gpu.sync();
          for (const message of await checkHalfOverflow(gpu)) ctx.emit({ type: 'log', message });
          blockSeconds.init += (performance.now() - t0) / 1000;
          const lrScale = attempt === 0 ? 1 : RETRY_LR_FACTOR;
          const lr = opts.lr * lrScale;
          const progress = ctx.progress;
          try {
            res = await tesseraqBlock(
              gpu,
              cfg,
              w,
              xq,
              yfp,
              ctx.calibShape,
              spec,
              { ...opts, lr, scaleLr: opts.scaleLr * lrScale },
              {
                signal: ctx.signal,
                resume: attempt === firstAttempt ? resumeState : undefined,
                stateDue: progress && (() => progress.due()),
                onState: progress && ((st) => progress.save({ block: b, step: st.rounds * opts.iters, round: st.rounds, lr, tensors: st.tensors }, [st.rng])),
                onIteration: (r, i) => {
                  submitted = (b * rounds + r) * opts.iters + i + 1;
                  report(
                    submitted,
                    cfg.layers * rounds * opts.iters,
                    `block ${b + 1} of ${cfg.layers} · round ${r + 1} of ${rounds} · iteration ${i + 1} of ${opts.iters}`,
                  );
                },
                onRound: (r, losses) => {
                  losses.forEach((value, i) => ctx.emit({ type: 'loss', series: `TesseraQ block ${b}`, step: r * opts.iters + i, value }));
                  // a round's losses come back after later iterations were submitted: the count stays put
                  report(
                    Math.max(submitted, (b * rounds + r + 1) * opts.iters),
                    cfg.layers * rounds * opts.iters,
                    `block ${b + 1} of ${cfg.layers} · round ${r + 1} of ${rounds} done`,
                    true,
                  );
                },
              },
            );
          } catch (thrown) {
            if (!(thrown instanceof NonFiniteError)) throw thrown;
            const e = await blameSourceWeights(thrown, 'a non-finite loss', ctx.source, cfg.arch);
            if (attempt > 0) throw finalDivergence(e);
            ctx.emit({ type: 'log', message: `${e.message} Rolling block ${b} back and retrying with a tenth of the learning rate.` });
            releaseBlockWeights(w); // the rollback: the block's weights from the source again
            const tReload = performance.now();
            w = await loadBlockWeights(gpu, ctx.source, b);
            blockSeconds.weights += (performance.now() - tReload) / 1000;
          }
        }
        const tStore = performance.now();
        // Every read queued before the first wait: one round trip per block.
        const [, ...codes] = await Promise.all([
          readBlockOverrides(cfg, w, ctx.overrides),
          ...[...res.quantized].map(([role, q]) => readQuantized(gpu, linearName(cfg.arch, b, role), spec, q)),
        ]);
        for (const q of codes) ctx.linears.set(q.name, q);
        blockSeconds.store = (performance.now() - tStore) / 1000;
        xq.release();
        xq = res.y;
        Object.assign(res.report.seconds, blockSeconds);
        // the phase's parts (tesseraq-init, -rounds, ...): bench reports them beside the phase total
        for (const [part, sec] of Object.entries(res.report.seconds)) ctx.seconds[`tesseraq-${part}`] = (ctx.seconds[`tesseraq-${part}`] ?? 0) + sec;
        reports.push(res.report);
        const flips = res.report.layers.reduce((a, l) => a + l.flips, 0) / res.report.layers.reduce((a, l) => a + l.elements, 0);
        ctx.emit({
          type: 'log',
          message: `TesseraQ block ${b}: loss ${res.report.rtnLoss.toPrecision(4)} (nearest) → ${res.report.finalLoss.toPrecision(4)}, ${(100 * flips).toFixed(2)}% of codes flipped`,
        });
        await ctx.onBlockDone?.(b);
      } finally {
        releaseBlockWeights(w);
        xfpIn.release();
      }
    }
  } finally {
    xq.release();
    xfp.release();
  }
}
