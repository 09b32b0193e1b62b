// The engine worker: owns the GPU device, the loaded model, the texts and the latest quantized
// model, runs every long job, and answers the UI through comlink. A dedicated worker keeps
// running while the tab is in the background, so a run continues when the person switches tabs.
import * as Comlink from 'comlink';
import { acquireDevice, type AdapterReport } from '../gpu/device';
import { kernelPaths, setHalfLinears } from '../ops/precision';
import { BadInputError, CancelledError, describeError } from '../gpu/errors';
import { Gpu } from '../gpu/gpu';
import type { LoadedModel } from '../core/model-config';
import { loadBundled, loadFromHub, loadModelFromFiles } from '../formats/load';
import { hubModelSize } from '../formats/hub';
import { abortableSource, blobSource } from '../formats/byte-source';
import { newId, runWithRecovery } from '../engine/run';
import { localModelSource } from '../formats/model-identity';
import { defaultCheckpointStore } from '../engine/checkpoint-store';
// The exporters (protobufjs, onnxruntime-web) load on first use, so the worker starts without them.
const exporters = () => import('../export/index');
const sinks = () => import('../export/sink');
const onnxRuntime = () => import('../export/onnx-runtime');
import { planMemory, planOptions, type MemoryPlan } from '../engine/memory-plan';
import type { RunConfig, RunEvent, RunResult, TextSource } from '../core/run-types';
import type { TextSplit } from '../engine/text-split';
import type { QuantizedModel } from '../quant/quantized-model';
import { formatBytes } from '../gpu/errors';
import { summarizeModel } from './model-summary';
import { bundledSplit, customSplit } from './texts';
import { generateText } from './generation';
import { mostFlippedGroup, teachGroup, teachLayerInfo } from '../engine/teach';
import { splitQualityWarnings } from '../engine/text-quality';
import { tokenizeInPieces } from '../engine/tokenize';
import { lockedRunIds, withRunLock, type RunLocks } from './run-locks';

/** The browser's Web Locks (absent in some contexts: then runs are not locked). */
const runLocks = (): RunLocks | undefined => (globalThis.navigator as { locks?: RunLocks } | undefined)?.locks;
import type { EngineApi, GenerateRequest, LoadProgress, ModelRequest, ModelSummary, TextProgress, TextRequest, TextStats } from './protocol';

let gpuPromise: Promise<Gpu> | null = null;
let model: LoadedModel | null = null;
const splits = new Map<TextSource, { split: TextSplit; key: string }>();
/** fp32 perplexity by (model, text, window length, windows): measured once per session. */
const fpPerplexity = new Map<string, { ppl: number; windowNll?: number[] }>();
let lastQuantized: { runId: string; model: QuantizedModel; config: RunConfig; pplQuant: number } | null = null;
let current: AbortController | null = null;

/** Checkpoints after each block in IndexedDB; a full disk keeps them in memory and says so. */
let checkpointNotice: ((message: string) => void) | null = null;
const checkpoints = defaultCheckpointStore((e) => checkpointNotice?.(e.message));

function getGpu(): Promise<Gpu> {
  gpuPromise ??= acquireDevice().then((acq) => {
    const gpu = new Gpu(acq);
    // f16 x f16 -> f32 Linear matmuls where the browser offers subgroup matrices (tensor cores)
    setHalfLinears(gpu, true);
    return gpu;
  });
  // A failed acquisition is not cached: the person may fix a flag and retry without reloading.
  gpuPromise.catch(() => {
    gpuPromise = null;
  });
  return gpuPromise;
}

/** Runs fn and rethrows any error as a plain {kind, message}, which comlink passes through as is. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a plain { kind, message } crosses the worker boundary; an Error's kind would not
    throw describeError(e);
  }
}

/** One job at a time owns the abort controller that cancel() trips. */
function beginJob(): AbortController {
  if (current && !current.signal.aborted) throw new BadInputError('Another job is still running; cancel it or wait for it to finish.');
  current = new AbortController();
  return current;
}

function endJob(c: AbortController): void {
  if (current === c) current = null;
}

function requireModel(): LoadedModel {
  if (!model) throw new BadInputError('No model is loaded yet: load one in Model first.');
  return model;
}

function hashText(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return `${s.length}:${(h >>> 0).toString(16)}`;
}

async function loadRequested(req: ModelRequest, signal: AbortSignal, progress: (p: LoadProgress) => void): Promise<LoadedModel> {
  switch (req.kind) {
    case 'bundled':
      progress({ message: 'Fetching the bundled stories260K…' });
      return loadBundled();
    case 'files':
      progress({ message: `Reading ${req.files.length} file${req.files.length === 1 ? '' : 's'}…` });
      {
        // Every read checks for a Cancel, and what has been read is shown.
        const total = req.files.reduce((n, f) => n + f.file.size, 0);
        let read = 0;
        let shown = 0;
        const onRead = (bytes: number) => {
          read += bytes;
          if (read - shown < 256 * 1024) return;
          shown = read;
          progress({
            message: `Reading ${req.files.length === 1 ? req.files[0].path : `${req.files.length} files`}: ${formatBytes(read)} read (of ${formatBytes(total)})`,
            fraction: Math.min(1, read / Math.max(1, total)),
          });
        };
        const sources = req.files.map((f) => abortableSource(blobSource(f.file, f.path), signal, onRead));
        const loaded = await loadModelFromFiles(sources);
        // Named by folder and content, so two local models never share a name in History or Compare.
        return { ...loaded, source: await localModelSource(sources) };
      }
    case 'hub':
      return loadFromHub(req.repo, {
        revision: req.revision || 'main',
        token: req.token || undefined,
        signal,
        onProgress: (p) =>
          progress({
            message:
              p.phase === 'cached'
                ? `${p.file}: from the cache`
                : `${p.file}: ${p.phase === 'header' ? 'reading header' : `${formatBytes(p.loaded)}${p.total ? ` of ${formatBytes(p.total)}` : ''}`}`,
            fraction: p.total ? p.loaded / p.total : undefined,
          }),
      });
  }
}

/** Collects events and hands them to the UI every 50 ms (or at once on a new phase). */
function eventBatcher(send?: (events: RunEvent[]) => void) {
  let buffer: RunEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!send || buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    Promise.resolve(send(batch)).catch(() => {});
  };
  return {
    push(e: RunEvent) {
      buffer.push(e);
      if (e.type === 'phase') flush();
      else timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}

/** Token ids ([BOS] first) of each split by `${model}|${text key}`: a text is tokenized once, its runs reuse them. */
const tokenCache = new Map<string, SplitTokens>();
/** A 50 MB text is about 50 MB of ids: keep the latest few. */
const TOKEN_CACHE_ENTRIES = 3;
/** The text being tokenized: its cache key, its Cancel, who wants its progress, and the ids to come. */
interface TextJob {
  key: string;
  controller: AbortController;
  listeners: Set<(p: TextProgress) => void>;
  done: Promise<SplitTokens>;
}
let textJob: TextJob | null = null;

interface SplitTokens {
  calib: Uint32Array;
  eval: Uint32Array;
}

function rememberTokens(key: string, tokens: SplitTokens): void {
  tokenCache.delete(key);
  tokenCache.set(key, tokens);
  while (tokenCache.size > TOKEN_CACHE_ENTRIES) tokenCache.delete(tokenCache.keys().next().value!);
}

/** Both parts in pieces, pausing between pieces so cancelText() and progress get through. */
async function tokenizeSplit(m: LoadedModel, split: TextSplit, signal: AbortSignal, progress: (p: TextProgress) => void): Promise<SplitTokens> {
  const totalChars = split.calib.length + split.eval.length;
  const bos = m.tokenizer.bosId;
  progress({ doneChars: 0, totalChars });
  const calib = await tokenizeInPieces(m.tokenizer, split.calib, { bos, signal, onProgress: (d) => progress({ doneChars: d, totalChars }) });
  const evalIds = await tokenizeInPieces(m.tokenizer, split.eval, {
    bos,
    signal,
    onProgress: (d) => progress({ doneChars: split.calib.length + d, totalChars }),
  });
  return { calib, eval: evalIds };
}

async function splitFor(config: RunConfig): Promise<TextSplit> {
  const cached = splits.get(config.text);
  if (cached) return cached.split;
  if (config.text === 'custom') throw new BadInputError('The run uses custom text, but none was given: paste or upload it in Data.');
  const split = await bundledSplit(config.text);
  splits.set(config.text, { split, key: config.text });
  return split;
}

const api: EngineApi = {
  init: (): Promise<AdapterReport> =>
    guarded(async () => {
      const gpu = await getGpu();
      return { ...gpu.report, kernelPaths: kernelPaths(gpu) };
    }),

  loadModel: (req, onProgress) =>
    guarded(async (): Promise<ModelSummary> => {
      const job = beginJob();
      try {
        // Cancel answers at once: the load itself stops at its next read (abortableSource) or download chunk.
        const cancelled = new Promise<never>((_, reject) =>
          job.signal.addEventListener('abort', () => reject(new CancelledError('Loading the model')), { once: true }),
        );
        const loaded = await Promise.race([loadRequested(req, job.signal, (p) => void Promise.resolve(onProgress?.(p)).catch(() => {})), cancelled]);
        if (job.signal.aborted) throw new CancelledError('Loading the model');
        model = loaded;
        lastQuantized = null;
        return summarizeModel(loaded);
      } finally {
        endJob(job);
      }
    }),

  hubModelSize: (repo, revision) => guarded(() => hubModelSize(repo, { revision })),

  prepareText: (req: TextRequest, onProgress) =>
    guarded(async (): Promise<TextStats> => {
      const m = requireModel();
      let split: TextSplit;
      let key: string;
      if (req.source === 'custom') {
        const text = req.file ? await req.file.text() : (req.custom ?? '');
        if (text.trim().length === 0) throw new BadInputError(req.file ? `${req.file.name} holds no text.` : 'The custom text is empty.');
        split = customSplit(text, req.customName || req.file?.name || 'custom text');
        key = `custom:${hashText(text)}`;
        splits.set('custom', { split, key });
      } else {
        split = await splitFor({ text: req.source } as RunConfig);
        key = splits.get(req.source)?.key ?? req.source;
      }
      const cacheKey = `${m.source}|${key}`;
      const progress = (p: TextProgress) => void Promise.resolve(onProgress?.(p)).catch(() => {});
      const cached = tokenCache.get(cacheKey);
      let tokens: SplitTokens;
      if (cached) tokens = cached;
      else if (textJob?.key === cacheKey) {
        // The same text is being tokenized already (e.g. Start pressed while Data counts): wait for it.
        textJob.listeners.add(progress);
        tokens = await textJob.done;
      } else {
        // A newer text replaces an older one still tokenizing.
        textJob?.controller.abort();
        const controller = new AbortController();
        const listeners = new Set([progress]);
        const job: TextJob = { key: cacheKey, controller, listeners, done: tokenizeSplit(m, split, controller.signal, (p) => listeners.forEach((l) => l(p))) };
        textJob = job;
        try {
          tokens = await job.done;
          rememberTokens(cacheKey, tokens);
        } finally {
          if (textJob === job) textJob = null;
        }
      }
      return {
        source: req.source,
        split: split.description,
        calibChars: split.calib.length,
        evalChars: split.eval.length,
        calibTokens: tokens.calib.length,
        evalTokens: tokens.eval.length,
        model: m.source,
        reused: !!cached,
        warnings: splitQualityWarnings(split, (t) => m.tokenizer.encode(t).length),
      };
    }),

  cancelText: () => {
    textJob?.controller.abort();
  },

  // Runs another tab is running now are not offered (run-locks.ts).
  listCheckpoints: () =>
    guarded(async () => {
      const list = await checkpoints.list();
      let locked = await lockedRunIds(runLocks());
      // Right after a reload the old page's worker may still be shutting down with its lock: ask once more.
      if (list.some((c) => locked.has(c.runId))) {
        await new Promise((r) => setTimeout(r, 1000));
        locked = await lockedRunIds(runLocks());
      }
      return list.filter((c) => !locked.has(c.runId));
    }),
  discardCheckpoint: (runId) => guarded(() => checkpoints.delete(runId)),

  run: (config, onEvents, resumeRunId) =>
    guarded(async (): Promise<RunResult> => {
      const gpu = await getGpu();
      const m = requireModel();
      if (m.source !== config.model) {
        throw new BadInputError(`This run is for ${config.model}, but the loaded model is ${m.source}: load ${config.model} in Model first.`);
      }
      const split = await splitFor(config);
      const job = beginJob();
      const events = eventBatcher(onEvents);
      const textKey = splits.get(config.text)?.key ?? config.text;
      const fpKey = `${m.source}|${textKey}|${config.seqLen}|${config.evalWindows}`;
      checkpointNotice = (message) => events.push({ type: 'log', message });
      const runId = resumeRunId ?? newId();
      try {
        const out = await withRunLock(runLocks(), runId, async () => {
          const resume = resumeRunId ? await checkpoints.load(resumeRunId) : undefined;
          return runWithRecovery({
            gpu,
            model: m,
            split,
            tokens: tokenCache.get(`${m.source}|${textKey}`),
            config,
            onEvent: (e) => events.push(e),
            signal: job.signal,
            pplFp: fpPerplexity.get(fpKey)?.ppl,
            fpWindowNll: fpPerplexity.get(fpKey)?.windowNll,
            runId,
            resume,
            checkpoints,
            // After a lost device the old one is gone: acquire a new one for this and later jobs.
            acquireGpu: () => {
              gpuPromise = null;
              return getGpu();
            },
          });
        });
        if (out.result.status === 'done' && Number.isFinite(out.result.pplFp))
          fpPerplexity.set(fpKey, { ppl: out.result.pplFp, windowNll: out.result.windowNll?.fp });
        if (out.quantized && out.result.status === 'done')
          lastQuantized = { runId: out.result.id, model: out.quantized, config, pplQuant: out.result.pplQuant };
        return out.result;
      } finally {
        events.flush();
        endJob(job);
      }
    }),

  planRun: (config) =>
    guarded(async (): Promise<MemoryPlan> => {
      const gpu = await getGpu();
      return planMemory(requireModel().weights.config, config, gpu.device.limits, planOptions(gpu));
    }),

  cancel: () => {
    current?.abort();
  },

  quantizedRunId: () => lastQuantized?.runId ?? null,

  exportOptions: () =>
    guarded(async () =>
      lastQuantized ? { runId: lastQuantized.runId, options: (await exporters()).exportAvailability(lastQuantized.model, requireModel().tokenizer) } : null,
    ),

  exportRun: (format, target) =>
    guarded(async () => {
      if (!lastQuantized) throw new BadInputError('No quantized model is held: finish a run first.');
      const { sinkFor, BlobSink } = await sinks();
      const sink = sinkFor(target);
      const report = await (await exporters()).exportModel(format, { model: requireModel(), quantized: lastQuantized.model }, sink);
      const downloads: [string, Blob][] = sink instanceof BlobSink ? [...sink.files] : [];
      return { report, downloads };
    }),

  checkOnnx: (executionProvider) =>
    guarded(async () => {
      if (!lastQuantized) throw new BadInputError('No quantized model is held: finish a run first.');
      const m = requireModel();
      const { config, pplQuant } = lastQuantized;
      const split = await splitFor(config);
      const textKey = splits.get(config.text)?.key ?? config.text;
      const evalTokens = tokenCache.get(`${m.source}|${textKey}`)?.eval ?? [m.tokenizer.bosId, ...m.tokenizer.encode(split.eval)];
      const { checkOnnxExport } = await onnxRuntime();
      return checkOnnxExport(
        { model: m, quantized: lastQuantized.model },
        evalTokens,
        { seqLen: config.seqLen, evalWindows: config.evalWindows, pplQuant },
        { executionProviders: [executionProvider] },
      );
    }),

  generate: (req: GenerateRequest, onText) =>
    guarded(async (): Promise<string> => {
      const gpu = await getGpu();
      const m = requireModel();
      const quantized = req.which === 'quantized' ? lastQuantized?.model : undefined;
      if (req.which === 'quantized' && !quantized) throw new BadInputError('No quantized model is held: finish a run first.');
      const job = beginJob();
      try {
        return await generateText(gpu, m, quantized ?? null, req, job.signal, (t) => void Promise.resolve(onText?.(t)).catch(() => {}));
      } finally {
        endJob(job);
      }
    }),

  teachLayers: () =>
    guarded(async () => (lastQuantized ? { runId: lastQuantized.runId, layers: [...lastQuantized.model.linears.values()].map(teachLayerInfo) } : null)),

  teachFlippedGroup: (layer) =>
    guarded(async () => {
      if (!lastQuantized) throw new BadInputError('No quantized model is held: finish a run first.');
      const q = lastQuantized.model.linears.get(layer);
      if (!q) throw new BadInputError(`The run did not quantize ${layer}.`);
      const name = `${layer}.weight`;
      const transformed = lastQuantized.model.overrides.get(name) ?? (await requireModel().weights.get(name));
      return mostFlippedGroup(q, transformed);
    }),

  teachLayer: (req) =>
    guarded(async () => {
      if (!lastQuantized) throw new BadInputError('No quantized model is held: finish a run first.');
      const q = lastQuantized.model.linears.get(req.layer);
      if (!q) throw new BadInputError(`The run did not quantize ${req.layer}.`);
      const name = `${req.layer}.weight`;
      const original = await requireModel().weights.get(name);
      const transformed = lastQuantized.model.overrides.get(name) ?? original;
      try {
        return teachGroup(q, original, transformed, req.row, req.group);
      } catch (e) {
        throw new BadInputError((e as Error).message);
      }
    }),
};

Comlink.expose(api);
