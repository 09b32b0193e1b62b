// The studio's state (zustand): what the person chose, what the worker reported, the runs.
// Components read slices with selectors; slow work is always a call into the engine worker.
import * as Comlink from 'comlink';
import { create } from 'zustand';
import type { AdapterReport } from '../gpu/device';
import * as runHistory from '../engine/history';
import type { RunConfig, RunEvent, RunResult } from '../core/run-types';
import { DEFAULT_CONFIG, METHODS } from '../methods/registry';
import { RunKeeper } from './unsaved-runs';
import { configToQuery, parseConfigQuery } from '../engine/url-config';
import {
  toEngineFailure,
  type EngineFailure,
  type LoadProgress,
  type ModelRequest,
  type MemoryPlan,
  type ModelSummary,
  type TextProgress,
  type TextStats,
} from '../worker/protocol';
import { engine, onEngineCrash } from './engine-client';
import { applyEvents, finishRun, measuredRate, startRun, type LiveRun } from './run-state';
import type { CheckpointSummary } from '../engine/checkpoint';
import { requestPersistentStorage } from '../engine/storage';
import { planText } from './text-checks';
import { autorunQuestion, type AutorunQuestion } from './autorun';

export const SECTIONS = [
  { id: 'model', label: 'Model' },
  { id: 'data', label: 'Data' },
  { id: 'method', label: 'Method' },
  { id: 'run', label: 'Run' },
  { id: 'inspect', label: 'Inspect' },
  { id: 'compare', label: 'Compare' },
  { id: 'teach', label: 'Teach' },
  { id: 'history', label: 'History' },
] as const;
export type SectionId = (typeof SECTIONS)[number]['id'];

export type GpuState = { status: 'pending' } | { status: 'ready'; report: AdapterReport } | { status: 'failed'; error: EngineFailure };

export type ModelLoad =
  { status: 'idle' } | { status: 'loading'; request: ModelRequest['kind']; progress: LoadProgress | null } | { status: 'failed'; error: EngineFailure };

export type TextState =
  { status: 'idle' } | { status: 'counting'; progress?: TextProgress } | { status: 'ready'; stats: TextStats } | { status: 'failed'; error: EngineFailure };

export interface StudioState {
  gpu: GpuState;
  section: SectionId;
  config: RunConfig;
  /** The model the worker holds, if any. */
  model: ModelSummary | null;
  modelLoad: ModelLoad;
  text: TextState;
  /** The custom text as pasted (kept on the main thread to edit; sent to the worker on use). */
  customText: string;
  customTextName: string;
  /** An uploaded text file: only its handle stays here (the worker reads it), never its text in the page. */
  customFile: File | null;
  /** Problems found in the page's link (bad values replaced by defaults). */
  urlNotes: string[];
  /** The link asked to start the run as soon as everything is ready. */
  autorunPending: boolean;
  /** A link's autorun held until the person confirms: a Hub download, or a long (or not yet timed) run. */
  autorunConfirm: AutorunQuestion | null;
  /** The size of the weights a Hub confirmation would download, asked with HEAD requests. */
  autorunSize: { status: 'asking' } | { status: 'known'; bytes: number; files: string[]; revision?: string } | { status: 'unknown'; message: string } | null;
  confirmAutorun(): Promise<void>;
  dismissAutorun(): void;
  run: LiveRun | null;
  /** Why the last Start did not start (missing model, too little text...). */
  runBlocked: string[];
  /** GPU memory the current config would need on this device (null until a model and GPU are ready). */
  memoryPlan: MemoryPlan | null;
  /** Token-block passes a second the last run measured on this adapter (for expected times). */
  deviceRate: number | null;

  history: RunResult[];
  historyError: string | null;
  /** Finished runs whose save failed: kept in this tab's memory (listed in history), never dropped. */
  unsavedIds: string[];
  inspectId: string | null;
  compareIds: string[];

  setSection(section: SectionId): void;
  setConfig(patch: Partial<RunConfig>): void;
  dismissUrlNotes(): void;
  initGpu(): Promise<void>;
  loadModel(req: ModelRequest): Promise<boolean>;
  cancelJob(): void;
  setCustomText(text: string, name?: string): void;
  /** Uses an uploaded file as the custom text (null: back to the pasted text). */
  setCustomFile(file: File | null): void;
  prepareText(): Promise<boolean>;
  /** Stops the tokenizing of the text (Data's Cancel). */
  cancelText(): void;
  /** Starts a run; with resumeRunId, continues that run from its checkpoint. */
  startRun(resumeRunId?: string): Promise<RunResult | null>;
  checkpoints: CheckpointSummary[];
  refreshCheckpoints(): Promise<void>;
  resumeRun(summary: CheckpointSummary): Promise<RunResult | null>;
  discardCheckpoint(runId: string): Promise<void>;
  refreshMemoryPlan(): Promise<MemoryPlan | null>;
  refreshHistory(): Promise<void>;
  /** Saves a run; false when it could not be saved (it stays listed, in memory, with a message). */
  addToHistory(run: RunResult): Promise<boolean>;
  removeFromHistory(id: string): Promise<void>;
  openInInspect(id: string): void;
  /** The layer Teach opens on (a click on a heatmap row in Inspect). */
  teachLayer: string | null;
  openInTeach(layer: string): void;
  toggleCompare(id: string): void;
}

const runKeeper = new RunKeeper(runHistory);
/** prepareText calls so far: only the latest one's failure is shown. */
let textRequests = 0;
// The speed a run measured, kept per adapter so the next visit can say how long a run will take.
const RATE_KEY = 'webgpu-quant-studio.device-rate';
const adapterKey = (r: AdapterReport) => [r.vendor, r.architecture, r.device, r.description].join('|');

function loadDeviceRate(report: AdapterReport): number | null {
  try {
    const saved = JSON.parse(localStorage.getItem(RATE_KEY) ?? 'null') as { adapter?: string; rate?: number } | null;
    return saved?.adapter === adapterKey(report) && typeof saved.rate === 'number' && saved.rate > 0 ? saved.rate : null;
  } catch {
    return null;
  }
}

function saveDeviceRate(gpu: GpuState, rate: number): void {
  if (gpu.status !== 'ready') return;
  try {
    localStorage.setItem(RATE_KEY, JSON.stringify({ adapter: adapterKey(gpu.report), rate }));
  } catch {
    // Storage refused (private mode, quota): the rate stays for this page only.
  }
}

const initialUrl = parseConfigQuery(typeof location === 'undefined' ? '' : location.search);

/** The request that loads the model a config names, or null when only the person can (local files). */
export function requestForSource(source: string): ModelRequest | null {
  if (source === 'bundled:stories260K') return { kind: 'bundled' };
  const hf = /^hf:([^@]+)(?:@(.+))?$/.exec(source);
  if (hf) return { kind: 'hub', repo: hf[1], revision: hf[2] ?? 'main' };
  return null;
}

export const useStudio = create<StudioState>()((set, get) => ({
  gpu: { status: 'pending' },
  section: 'model',
  config: initialUrl.config,
  model: null,
  modelLoad: { status: 'idle' },
  text: { status: 'idle' },
  customText: '',
  customTextName: 'pasted text',
  customFile: null,
  urlNotes: initialUrl.notes,
  autorunPending: initialUrl.autorun,
  autorunConfirm: null,
  autorunSize: null,
  run: null,
  runBlocked: [],
  memoryPlan: null,
  deviceRate: null,
  history: [],
  historyError: null,
  unsavedIds: [],
  inspectId: null,
  compareIds: [],

  setSection: (section) => set({ section }),
  async confirmAutorun() {
    set({ autorunConfirm: null, autorunSize: null });
    await get().startRun();
  },
  dismissAutorun: () => set({ autorunConfirm: null, autorunSize: null }),
  setConfig: (patch) => {
    const before = get().config;
    const config = { ...before, ...patch };
    set({ config, runBlocked: [] });
    // Token counts depend on the text source: recount when it changes.
    if (config.text !== before.text && get().model) void get().prepareText();
  },
  dismissUrlNotes: () => set({ urlNotes: [] }),

  async initGpu() {
    set({ gpu: { status: 'pending' } });
    try {
      const report = await engine().init();
      set({ gpu: { status: 'ready', report }, deviceRate: loadDeviceRate(report) });
    } catch (e) {
      set({ gpu: { status: 'failed', error: toEngineFailure(e) } });
    }
  },

  async loadModel(req) {
    set({ modelLoad: { status: 'loading', request: req.kind, progress: null } });
    try {
      const onProgress = Comlink.proxy((progress: LoadProgress) => {
        const s = get().modelLoad;
        if (s.status === 'loading') set({ modelLoad: { ...s, progress } });
      });
      const summary = await engine().loadModel(req, onProgress);
      set({ model: summary, modelLoad: { status: 'idle' }, config: { ...get().config, model: summary.source }, text: { status: 'idle' } });
      void get().prepareText();
      return true;
    } catch (e) {
      set({ modelLoad: { status: 'failed', error: toEngineFailure(e) } });
      return false;
    }
  },

  cancelJob: () => {
    const r = get().run;
    // Shown at once ("Cancelling…"); the engine stops at its next check, within a batch of dispatches.
    if (r?.status === 'running') set({ run: { ...r, cancelling: true } });
    void engine().cancel();
  },

  setCustomText: (customText, name) =>
    set({
      customText,
      customTextName: name ?? get().customTextName,
      customFile: null,
      // Counts of the previous custom text are stale now; the next use recounts.
      ...(get().config.text === 'custom' ? { text: { status: 'idle' as const } } : {}),
    }),

  setCustomFile: (customFile) =>
    set({
      customFile,
      customTextName: customFile ? customFile.name : 'pasted text',
      ...(get().config.text === 'custom' ? { text: { status: 'idle' as const } } : {}),
    }),

  async prepareText() {
    const { config, customText, customTextName, customFile } = get();
    if (!get().model) return false;
    if (config.text === 'custom' && !customFile && customText.trim() === '') {
      set({ text: { status: 'failed', error: { kind: 'bad-input', message: 'Paste or upload a text first.' } } });
      return false;
    }
    set({ text: { status: 'counting' } });
    const seq = ++textRequests;
    try {
      const onProgress = Comlink.proxy((progress: TextProgress) => {
        const t = get().text;
        if (t.status === 'counting') set({ text: { status: 'counting', progress } });
      });
      const custom = config.text === 'custom';
      const stats = await engine().prepareText(
        {
          source: config.text,
          custom: custom && !customFile ? customText : undefined,
          file: custom && customFile ? customFile : undefined,
          customName: customTextName,
        },
        onProgress,
      );
      // A slower count for a text that is no longer selected must not overwrite the newer one.
      if (get().config.text !== stats.source) return false;
      set({ text: { status: 'ready', stats } });
      return true;
    } catch (e) {
      // A count replaced by a newer one (another text) fails as cancelled: the newer one speaks.
      if (seq === textRequests) set({ text: { status: 'failed', error: toEngineFailure(e) } });
      return false;
    }
  },

  cancelText: () => void engine().cancelText(),

  checkpoints: [],

  async refreshCheckpoints() {
    try {
      set({ checkpoints: await engine().listCheckpoints() });
    } catch {
      set({ checkpoints: [] });
    }
  },

  async resumeRun(summary) {
    set({ config: summary.config });
    const result = await get().startRun(summary.runId);
    await get().refreshCheckpoints();
    return result;
  },

  async discardCheckpoint(runId) {
    await engine().discardCheckpoint(runId);
    await get().refreshCheckpoints();
  },

  async startRun(resumeRunId?: string) {
    if (get().run?.status === 'running') return null;
    const blocked = (reasons: string[]) => {
      set({ runBlocked: reasons, section: 'run' });
      return null;
    };
    if (get().gpu.status === 'failed') return blocked(['There is no GPU: see the message at the top.']);
    const { config } = get();
    if (get().model?.source !== config.model) {
      const req = requestForSource(config.model);
      if (!req) return blocked([`Load ${config.model.replace(/^local:/, '')} in Model (local files cannot be reopened from a link).`]);
      if (!(await get().loadModel(req))) return blocked([`The model ${config.model} did not load: see Model.`]);
    }
    const t = get().text;
    if (t.status !== 'ready' || t.stats.source !== config.text || t.stats.model !== get().model?.source) {
      if (!(await get().prepareText())) return blocked(['The text is not ready: see Data.']);
    }
    const stats = (get().text as { stats: TextStats }).stats;
    const plan = planText(config, stats, get().model);
    if (plan.problems.length) return blocked(plan.problems);
    const memory = await get().refreshMemoryPlan();
    if (memory?.problems.length) return blocked(memory.problems);

    const runConfig = get().config;
    set({
      run: { ...startRun(runConfig, Date.now(), get().model?.layers, get().deviceRate ?? undefined), resumeOf: resumeRunId },
      runBlocked: [],
      section: 'run',
    });
    // Events come in batches from the worker; one state update per batch.
    const onEvents = Comlink.proxy((events: RunEvent[]) => {
      const r = get().run;
      if (r && r.status === 'running') set({ run: applyEvents(r, events, Date.now()) });
    });
    try {
      // A long run asks the browser to keep its checkpoints (and history) through storage pressure.
      if (METHODS[runConfig.method].longRunning) void requestPersistentStorage();
      const result = await engine().run(runConfig, onEvents, resumeRunId);
      void get().refreshCheckpoints();
      const r = get().run!;
      const rate = measuredRate(r, Date.now());
      if (rate) saveDeviceRate(get().gpu, rate);
      set({
        run: finishRun(r, result.status, Date.now(), { resultId: result.id, error: result.error ? { kind: result.status, message: result.error } : undefined }),
        ...(rate ? { deviceRate: rate } : {}),
      });
      // A cancelled run is kept too, marked as such (History shows its status; Compare skips it).
      if (result.status === 'done' || result.status === 'cancelled') {
        const saved = await get().addToHistory(result);
        // Said where the run finished too, not only in History.
        if (!saved) set({ run: { ...get().run!, log: [...get().run!.log, `${runKeeper.message()} (History, "not saved")`] } });
      }
      if (result.status === 'done') set({ inspectId: result.id });
      return result;
    } catch (e) {
      const r = get().run!;
      set({ run: finishRun(r, 'failed', Date.now(), { error: toEngineFailure(e) }) });
      return null;
    }
  },

  async refreshMemoryPlan() {
    if (!get().model || get().gpu.status !== 'ready') return null;
    try {
      const memoryPlan = await engine().planRun(get().config);
      set({ memoryPlan });
      return memoryPlan;
    } catch {
      set({ memoryPlan: null });
      return null;
    }
  },

  async refreshHistory() {
    try {
      const view = await runKeeper.view();
      set({ history: view.runs, unsavedIds: view.unsavedIds, historyError: view.saveError });
    } catch (e) {
      // The store cannot be read: the runs kept in memory stay listed.
      const unsaved = runKeeper.unsavedRuns();
      const kept = unsaved.length ? ` ${runKeeper.message()}` : '';
      set({
        history: [...unsaved, ...get().history.filter((r) => !unsaved.some((u) => u.id === r.id))],
        unsavedIds: unsaved.map((r) => r.id),
        historyError: `${toEngineFailure(e).message}${kept}`,
      });
    }
  },

  async addToHistory(run) {
    const saved = await runKeeper.add(run, (e) => toEngineFailure(e).message);
    await get().refreshHistory();
    return saved;
  },

  async removeFromHistory(id) {
    runKeeper.forget(id);
    await runHistory.deleteRun(id);
    const { inspectId, compareIds } = get();
    set({
      inspectId: inspectId === id ? null : inspectId,
      compareIds: compareIds.filter((c) => c !== id),
    });
    await get().refreshHistory();
  },

  openInInspect: (id) => set({ inspectId: id, section: 'inspect' }),
  teachLayer: null,
  openInTeach: (layer) => set({ teachLayer: layer, section: 'teach' }),
  toggleCompare: (id) => {
    const ids = get().compareIds;
    set({ compareIds: ids.includes(id) ? ids.filter((c) => c !== id) : [...ids, id] });
  },
}));

/** Keeps the address bar equal to the current config, so the page's link reproduces the run. */
export function syncConfigToUrl(): () => void {
  const write = (config: RunConfig) => {
    const query = configToQuery(config);
    window.history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  };
  // At once too: bad values leave the address bar, and `autorun` (already read) does not start the
  // run again on every reload.
  write(useStudio.getState().config);
  return useStudio.subscribe((state, prev) => {
    if (state.config !== prev.config) write(state.config);
  });
}

/**
 * Startup: the GPU, the history, the model the config names (the bundled one is small enough to
 * load at once), and the run itself when the link says autorun=1.
 */
export async function startStudio(): Promise<void> {
  const s = useStudio.getState();
  void s.refreshHistory();
  const gpu = s.initGpu();
  const req = requestForSource(s.config.model);
  if (req?.kind === 'bundled') await s.loadModel(req);
  await gpu;
  if (useStudio.getState().autorunPending) {
    useStudio.setState({ autorunPending: false });
    // A link alone never starts a download from the Hub, nor a long run: the person confirms it
    // first, having seen the expected time (and, for the Hub, the size of the weights).
    const st = useStudio.getState();
    const windows = st.text.status === 'ready' ? Math.floor(st.text.stats.evalTokens / st.config.seqLen) : undefined;
    const loaded = st.model?.source === st.config.model ? st.model : null;
    const ask = autorunQuestion(st.config, { layers: loaded?.layers, rate: st.deviceRate, evalWindows: windows });
    if (ask) {
      useStudio.setState({ autorunConfirm: ask, autorunSize: ask.hub ? { status: 'asking' } : null });
      const hubReq = requestForSource(ask.model);
      if (hubReq?.kind === 'hub') {
        // HEAD requests name the size without downloading the weights.
        try {
          const size = await engine().hubModelSize(hubReq.repo, hubReq.revision);
          useStudio.setState({ autorunSize: { status: 'known', ...size } });
        } catch (e) {
          useStudio.setState({ autorunSize: { status: 'unknown', message: toEngineFailure(e).message } });
        }
      }
      return;
    }
    await useStudio.getState().startRun();
  }
}

onEngineCrash((message) => {
  useStudio.setState({ gpu: { status: 'failed', error: { kind: 'worker-crashed', message } } });
});

/** The link that reproduces `config` and starts the run when opened. */
export function reproducibleLink(config: RunConfig): string {
  // Runs saved before a field existed lack it: fill in its default rather than writing "undefined".
  return `${location.origin}${location.pathname}?${configToQuery({ ...DEFAULT_CONFIG, ...config }, { autorun: true })}`;
}
