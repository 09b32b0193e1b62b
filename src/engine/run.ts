// One quantization run, end to end: tokenize, full-precision perplexity, the method, errors per
// layer and block, quantized perplexity on the same windows. Used by the worker and the CLI.
import { checkHalfOverflow, halfReports, linearPath } from '../ops/precision';
import type { Gpu } from '../gpu/gpu';
import { describeError, CancelledError } from '../gpu/errors';
import type { LoadedModel } from '../core/model-config';
import { loadGlobals, embedTokens, releaseGlobals, SourceBlocks, type ModelGlobals } from '../model/gpu-model';
import { perplexity } from '../eval/perplexity';
import { calibrationSamples, checkContext, checkEvalText } from './calibration';
import { tokenizeInPieces } from './tokenize';
import type { TextSplit } from './text-split';
import { RESULT_SCHEMA_VERSION, type RunConfig, type RunEvent, type RunResult } from '../core/run-types';
import { validateSpec, type QuantSpec } from '../core/quant-spec';
import { QuantizedBlocks, withOverrides, type QuantizedModel } from '../quant/quantized-model';
import { measureErrors } from '../quant/measure';
import { planMemory, planOptions, evalBudgetBytes } from './memory-plan';
import type { CheckpointStore } from './checkpoint-store';
import { makeCheckpoint, restoreCheckpoint, resumePoint, type RunCheckpoint } from './checkpoint';
import type { BlockInProgress } from '../core/checkpoint-types';
import { EngineError } from '../gpu/errors';
import type { MethodContext } from '../quant/method-context';
import { methodOf } from '../methods/registry';

class OverPlanError extends EngineError {
  constructor(message: string) {
    super('over-limits', message);
  }
}
/** Methods that can resume from a checkpoint (the others restart). */
export function resumable(config: RunConfig): boolean {
  return methodOf(config.method)?.resumable ?? false;
}

/** Default least time between checkpoints inside a block (each one reads the block's state back). */
export const IN_BLOCK_CHECKPOINT_SECONDS = 30;

export interface RunInputs {
  gpu: Gpu;
  model: LoadedModel;
  split: TextSplit;
  config: RunConfig;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /**
   * The split's token ids ([BOS] first) as already counted (the studio tokenizes a text once, in
   * Data); without them the run tokenizes the split itself.
   */
  tokens?: { calib: ArrayLike<number>; eval: ArrayLike<number> };
  /** Reuse a full-precision perplexity measured on the same windows. */
  pplFp?: number;
  /** The per-window NLL of that reused perplexity (PerplexityResult.windowNll). */
  fpWindowNll?: number[];
  /** The run's id (kept across resumes). */
  runId?: string;
  /** Where to save a checkpoint after each block. */
  checkpoints?: CheckpointStore;
  /** Continue from this checkpoint (same config). */
  resume?: RunCheckpoint;
  /** Least seconds between checkpoints inside a block (default IN_BLOCK_CHECKPOINT_SECONDS; 0: at every round or step). */
  checkpointEverySeconds?: number;
}

export interface RunOutput {
  result: RunResult;
  quantized: QuantizedModel | null;
}

export function newId(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export async function runQuantization(inp: RunInputs): Promise<RunOutput> {
  const { gpu, model, config } = inp;
  const cfg = model.weights.config;
  const emit = inp.onEvent ?? (() => {});
  const seconds: Record<string, number> = {};
  const memory: Record<string, number> = {};
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    emit({ type: 'phase', phase });
    gpu.pool.trim();
    gpu.pool.resetPeaks();
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      await gpu.sync().catch(() => {});
      seconds[phase] = (seconds[phase] ?? 0) + (performance.now() - t0) / 1000;
      // f16 Linear operands that overflowed in this phase: reported, and f32 from here on
      for (const message of await checkHalfOverflow(gpu).catch(() => [])) emit({ type: 'log', message });
      memory[phase] = Math.max(memory[phase] ?? 0, gpu.pool.peakAllocatedBytes);
    }
  };
  const plan = planMemory(cfg, config, gpu.device.limits, planOptions(gpu));
  const spec: QuantSpec = { bits: config.bits, groupSize: config.groupSize, symmetric: config.symmetric };
  const result: RunResult = {
    schema: RESULT_SCHEMA_VERSION,
    id: inp.runId ?? newId(),
    createdAt: new Date().toISOString(),
    status: 'done',
    model: config.model,
    method: config.method,
    bits: config.bits,
    groupSize: config.groupSize,
    symmetric: config.symmetric,
    steps: config.steps,
    seed: config.seed,
    config,
    device: [gpu.report.vendor, gpu.report.architecture, gpu.report.description].filter(Boolean).join(' ') || 'unknown',
    pplFp: NaN,
    pplQuant: NaN,
    evalTokens: 0,
    seconds,
    layerErrors: [],
    blockErrors: [],
    details: { split: inp.split.description, linearMatmuls: linearPath(gpu), f16Overflow: halfReports(gpu) },
    memory: { planned: plan.phases, measured: memory },
  };
  let globals: ModelGlobals | null = null;
  const fpBlocks = new SourceBlocks(gpu, model.weights, plan.residentBlocks);
  let quantized: QuantizedModel | null = null;
  try {
    validateSpec(spec);
    checkContext(model.weights.config, config.seqLen);
    if (plan.problems.length) throw new OverPlanError(plan.problems.join(' '));
    const { calibTokens, evalTokens } = await timed('tokenize', async () => {
      if (inp.tokens) {
        const { calib, eval: evalIds } = inp.tokens;
        emit({
          type: 'log',
          message: `Token ids reused: ${calib.length.toLocaleString('en-US')} calibration and ${evalIds.length.toLocaleString('en-US')} evaluation tokens, counted once in Data (the text is not tokenized again).`,
        });
        return { calibTokens: calib, evalTokens: evalIds };
      }
      const bos = model.tokenizer.bosId;
      return {
        calibTokens: await tokenizeInPieces(model.tokenizer, inp.split.calib, { bos, signal: inp.signal }),
        evalTokens: await tokenizeInPieces(model.tokenizer, inp.split.eval, { bos, signal: inp.signal }),
      };
    });
    checkEvalText(evalTokens.length, config.seqLen);
    const calibIds = calibrationSamples(calibTokens, config.calibSamples, config.seqLen, config.seed, config.calibDraw);
    globals = await timed('load', () => loadGlobals(gpu, model.weights));
    const evalOpts = (phase: string) => ({
      windowLen: config.seqLen,
      budgetBytes: evalBudgetBytes(gpu.device.limits.maxStorageBufferBindingSize),
      windows: config.evalWindows,
      signal: inp.signal,
      onProgress: (done: number, total: number) => emit({ type: 'progress', phase, done, total }),
    });
    const fp = inp.pplFp
      ? { ppl: inp.pplFp, scoredTokens: NaN, windowNll: inp.fpWindowNll }
      : await timed('eval-fp', () => perplexity(gpu, cfg, globals!, fpBlocks, evalTokens, evalOpts('eval-fp')));
    result.pplFp = fp.ppl;
    if (fp.windowNll) result.windowNll = { fp: fp.windowNll };
    if (Number.isFinite(fp.scoredTokens)) result.evalTokens = fp.scoredTokens;
    fpBlocks.release(); // the quantized model's blocks take their place
    const method = methodOf(config.method);
    if (!method) throw new Error(`method ${config.method} is not available in this build`);
    const runner = method.run;
    if (!runner) {
      // the full-precision baseline quantizes nothing
      result.pplQuant = fp.ppl;
      return { result, quantized: null };
    }
    const ctx: MethodContext = {
      gpu,
      cfg,
      source: model.weights,
      globals,
      spec,
      config,
      calibIds,
      calibShape: { batch: config.calibSamples, seqLen: config.seqLen },
      emit,
      signal: inp.signal,
      overrides: new Map(),
      linears: new Map(),
      details: result.details!,
      seconds,
    };
    if (inp.resume && resumable(config)) {
      const restored = restoreCheckpoint(inp.resume);
      restored.linears.forEach((v, k) => ctx.linears.set(k, v));
      restored.overrides.forEach((v, k) => ctx.overrides.set(k, v));
      if (restored.baseOverrides) ctx.baseOverrides = restored.baseOverrides;
      // the details of what was done before the cut; this run's own (split, paths) stand
      for (const [k, v] of Object.entries(restored.details ?? {})) if (!(k in ctx.details)) ctx.details[k] = v;
      ctx.startBlock = inp.resume.completedBlocks;
      if (inp.resume.inProgress) ctx.resumeProgress = { progress: inp.resume.inProgress, rngState: inp.resume.rngState ?? [] };
      emit({ type: 'log', message: `Resuming from the checkpoint ${resumePoint(inp.resume)}.` });
    }
    const store = inp.checkpoints;
    if (store && resumable(config)) {
      let lastSave = performance.now();
      const save = async (completedBlocks: number, inProgress?: BlockInProgress, rngState?: number[]) => {
        try {
          await store.save(
            result.id,
            makeCheckpoint({
              config,
              completedBlocks,
              linears: ctx.linears.values(),
              overrides: ctx.overrides,
              baseOverrides: ctx.baseOverrides,
              inProgress,
              rngState,
              details: ctx.details,
            }),
          );
          lastSave = performance.now();
        } catch (e) {
          emit({ type: 'log', message: `Checkpoint not saved: ${describeError(e).message}` });
        }
      };
      const minGapMs = (inp.checkpointEverySeconds ?? IN_BLOCK_CHECKPOINT_SECONDS) * 1000;
      ctx.onBlockDone = (b) => save(b + 1);
      ctx.onPhaseDone = () => save(0);
      ctx.progress = { due: () => performance.now() - lastSave >= minGapMs, save: (p, rng) => save(p.block, p, rng) };
    }
    await timed(config.method, () => runner(ctx));
    quantized = { config: cfg, spec, linears: ctx.linears, overrides: ctx.overrides };
    const qBlocks = new QuantizedBlocks(gpu, model.weights, quantized, plan.residentBlocks);
    const transformed = new SourceBlocks(gpu, withOverrides(model.weights, ctx.overrides), false);
    try {
      // Skippable: a pass over the calibration set per block, which a person may not need.
      const errs =
        config.measureErrors === false
          ? { layerErrors: [], blockErrors: [] }
          : await timed('measure', async () => {
              const x0 = embedTokens(gpu, globals!, calibIds, ctx.calibShape);
              try {
                return await measureErrors(gpu, cfg, transformed, qBlocks, x0, ctx.calibShape, (b) => {
                  emit({ type: 'progress', phase: 'measure', done: b + 1, total: cfg.layers });
                  if (inp.signal?.aborted) throw new CancelledError('Measuring the errors');
                });
              } finally {
                x0.release();
              }
            });
      result.layerErrors = errs.layerErrors;
      result.blockErrors = errs.blockErrors;
      for (const e of errs.layerErrors) emit({ type: 'layer-error', ...e });
      const q = await timed('eval-quant', () => perplexity(gpu, cfg, globals!, qBlocks, evalTokens, evalOpts('eval-quant')));
      result.pplQuant = q.ppl;
      result.evalTokens = q.scoredTokens;
      result.windowNll = { ...result.windowNll, quant: q.windowNll };
    } finally {
      qBlocks.release();
      transformed.release();
    }
    return { result, quantized };
  } catch (e) {
    result.status = e instanceof CancelledError ? 'cancelled' : 'failed';
    result.error = describeError(e).message;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the caught error itself, rethrown with the partial result attached
    if (result.status === 'failed') throw Object.assign(e as object, { partialResult: result });
    return { result, quantized };
  } finally {
    result.finishedAt = new Date().toISOString();
    fpBlocks.release();
    if (globals) releaseGlobals(globals);
  }
}

async function deviceIsLost(gpu: Gpu, waitMs = 500): Promise<boolean> {
  if (gpu.lostError) return true;
  return Promise.race([gpu.device.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), waitMs))]);
}

/**
 * A run that survives a lost GPU device: on loss it acquires a new device and resumes from the last
 * checkpoint (the whole run restarts for methods without block checkpoints), at most `maxRecoveries`
 * times, telling the user through log events.
 */
export async function runWithRecovery(
  inp: RunInputs & { checkpoints: CheckpointStore; acquireGpu: () => Promise<Gpu>; maxRecoveries?: number },
): Promise<RunOutput & { gpu: Gpu }> {
  const runId = inp.runId ?? newId();
  let gpu = inp.gpu;
  let resume = inp.resume;
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await runQuantization({ ...inp, gpu, runId, resume });
      if (out.result.status === 'done') await inp.checkpoints.delete(runId).catch(() => {});
      return { ...out, gpu };
    } catch (e) {
      // The loss may surface first as another error (a failed map, a validation error): ask the device.
      const lost = (e instanceof EngineError && e.kind === 'device-lost') || (await deviceIsLost(gpu));
      if (!lost || attempt >= (inp.maxRecoveries ?? 2)) throw e;
      const why = gpu.lostError?.message ?? 'The GPU device was lost.';
      inp.onEvent?.({ type: 'log', message: `${why} Acquiring a new GPU device and resuming.` });
      gpu = await inp.acquireGpu();
      resume = (await inp.checkpoints.load(runId)) ?? undefined;
      inp.onEvent?.({ type: 'log', message: resume ? `Resuming ${resumePoint(resume)}.` : 'No checkpoint yet: starting the run again.' });
    }
  }
}
