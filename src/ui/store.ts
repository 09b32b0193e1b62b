// The studio's state (zustand): what the person chose, what the worker reported, the runs.
// Components read slices with selectors; slow work is always a call into the engine worker.
import { create } from 'zustand';
import type { AdapterReport } from '../gpu/device';
import * as runHistory from '../engine/history';
import { DEFAULT_CONFIG, type RunConfig, type RunResult } from '../engine/run-types';
import { configToQuery, parseConfigQuery } from '../engine/url-config';
import { toEngineFailure, type EngineFailure, type ModelSummary } from '../worker/protocol';
import { engine, onEngineCrash } from './engine-client';

export const SECTIONS = [
  { id: 'model', label: 'Model' },
  { id: 'data', label: 'Data' },
  { id: 'method', label: 'Method' },
  { id: 'run', label: 'Run' },
  { id: 'inspect', label: 'Inspect' },
  { id: 'compare', label: 'Compare' },
  { id: 'history', label: 'History' },
] as const;
export type SectionId = (typeof SECTIONS)[number]['id'];

export type GpuState =
  | { status: 'pending' }
  | { status: 'ready'; report: AdapterReport }
  | { status: 'failed'; error: EngineFailure };

export interface StudioState {
  gpu: GpuState;
  section: SectionId;
  config: RunConfig;
  /** The model the worker holds, if any. */
  model: ModelSummary | null;
  /** Problems found in the page's link (bad values replaced by defaults). */
  urlNotes: string[];
  /** The link asked to start the run as soon as everything is ready. */
  autorunPending: boolean;

  history: RunResult[];
  historyError: string | null;
  /** The run shown in Inspect. */
  inspectId: string | null;
  /** Runs shown in Compare (in addition to the fp baseline they carry). */
  compareIds: string[];

  setSection(section: SectionId): void;
  setConfig(patch: Partial<RunConfig>): void;
  dismissUrlNotes(): void;
  initGpu(): Promise<void>;
  refreshHistory(): Promise<void>;
  addToHistory(run: RunResult): Promise<void>;
  removeFromHistory(id: string): Promise<void>;
  openInInspect(id: string): void;
  toggleCompare(id: string): void;
}

const initialUrl = parseConfigQuery(typeof location === 'undefined' ? '' : location.search);

export const useStudio = create<StudioState>()((set, get) => ({
  gpu: { status: 'pending' },
  section: 'model',
  config: initialUrl.config,
  model: null,
  urlNotes: initialUrl.notes,
  autorunPending: initialUrl.autorun,
  history: [],
  historyError: null,
  inspectId: null,
  compareIds: [],

  setSection: (section) => set({ section }),
  setConfig: (patch) => set({ config: { ...get().config, ...patch } }),
  dismissUrlNotes: () => set({ urlNotes: [] }),

  async initGpu() {
    set({ gpu: { status: 'pending' } });
    try {
      const report = await engine().init();
      set({ gpu: { status: 'ready', report } });
    } catch (e) {
      set({ gpu: { status: 'failed', error: toEngineFailure(e) } });
    }
  },

  async refreshHistory() {
    try {
      set({ history: await runHistory.listRuns(), historyError: null });
    } catch (e) {
      set({ historyError: toEngineFailure(e).message });
    }
  },

  async addToHistory(run) {
    try {
      await runHistory.saveRun(run);
    } catch (e) {
      set({ historyError: `The run was not saved: ${toEngineFailure(e).message}` });
    }
    await get().refreshHistory();
  },

  async removeFromHistory(id) {
    await runHistory.deleteRun(id);
    const { inspectId, compareIds } = get();
    set({
      inspectId: inspectId === id ? null : inspectId,
      compareIds: compareIds.filter((c) => c !== id),
    });
    await get().refreshHistory();
  },

  openInInspect: (id) => set({ inspectId: id, section: 'inspect' }),
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

onEngineCrash((message) => {
  useStudio.setState({ gpu: { status: 'failed', error: { kind: 'worker-crashed', message } } });
});

/** The link that reproduces `config` and starts the run when opened. */
export function reproducibleLink(config: RunConfig): string {
  return `${location.origin}${location.pathname}?${configToQuery(config, { autorun: true })}`;
}
