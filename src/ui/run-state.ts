// The live state of one run as the Run panel shows it, built from the worker's events. Pure
// functions, so the reduction and the time estimate are unit-tested without a browser.
import type { LayerError, RunConfig, RunEvent } from '../core/run-types';
import type { EngineFailure } from '../worker/protocol';

export interface PhaseState {
  name: string;
  detail?: string;
  startedAt: number;
  endedAt?: number;
  done?: number;
  total?: number;
  /** The run ended (cancelled or failed) while this phase was open. */
  stopped?: boolean;
}

export interface LiveRun {
  status: 'running' | 'done' | 'cancelled' | 'failed';
  config: RunConfig;
  startedAt: number;
  endedAt?: number;
  phases: PhaseState[];
  losses: Record<string, { steps: number[]; values: number[] }>;
  /** Latest scale vector per "block|group". */
  scales: Record<string, { block: number; group: string; values: number[] }>;
  layerErrors: LayerError[];
  log: string[];
  error?: EngineFailure;
  resultId?: string;
}

export function startRun(config: RunConfig, now: number): LiveRun {
  return { status: 'running', config, startedAt: now, phases: [], losses: {}, scales: {}, layerErrors: [], log: [] };
}

/** The run after a batch of events; copies only what changed, so React sees new references there. */
export function applyEvents(run: LiveRun, events: RunEvent[], now: number): LiveRun {
  let phases = run.phases;
  let losses = run.losses;
  let scales = run.scales;
  let layerErrors = run.layerErrors;
  let log = run.log;
  const touchedLoss = new Set<string>();
  for (const e of events) {
    switch (e.type) {
      case 'phase': {
        phases = phases.map((p) => (p.endedAt === undefined ? { ...p, endedAt: now } : p));
        phases.push({ name: e.phase, detail: e.detail, startedAt: now });
        break;
      }
      case 'progress': {
        const i = findLastIndex(phases, (p) => p.name === e.phase);
        if (i < 0) {
          phases = [...phases, { name: e.phase, startedAt: now, done: e.done, total: e.total }];
        } else {
          phases = phases.slice();
          phases[i] = { ...phases[i], done: e.done, total: e.total };
        }
        break;
      }
      case 'loss': {
        if (!touchedLoss.has(e.series)) {
          const old = losses[e.series] ?? { steps: [], values: [] };
          losses = { ...losses, [e.series]: { steps: old.steps.slice(), values: old.values.slice() } };
          touchedLoss.add(e.series);
        }
        losses[e.series].steps.push(e.step);
        losses[e.series].values.push(e.value);
        break;
      }
      case 'scales':
        scales = { ...scales, [`${e.block}|${e.group}`]: { block: e.block, group: e.group, values: e.values } };
        break;
      case 'layer-error':
        layerErrors = [...layerErrors, { block: e.block, layer: e.layer, relMse: e.relMse }];
        break;
      case 'log':
        log = [...log, e.message];
        break;
    }
  }
  if (phases === run.phases) phases = phases.slice();
  return { ...run, phases, losses, scales, layerErrors, log };
}

/** Closes the open phase and records how the run ended. */
export function finishRun(run: LiveRun, status: LiveRun['status'], now: number, extra: Partial<LiveRun> = {}): LiveRun {
  return {
    ...run,
    ...extra,
    status,
    endedAt: now,
    phases: run.phases.map((p) => (p.endedAt === undefined ? { ...p, endedAt: now, ...(status === 'done' ? {} : { stopped: true }) } : p)),
  };
}

function findLastIndex<T>(xs: T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i])) return i;
  return -1;
}

/**
 * Seconds left, or null when there is nothing to extrapolate from: the open phase's rate so far
 * (elapsed × remaining / done), plus the quantized evaluation still ahead, which scores the same
 * windows as the fp32 evaluation and so takes about as long.
 */
export function estimateRemaining(run: LiveRun, now: number): number | null {
  if (run.status !== 'running') return 0;
  const open = run.phases.findLast((p) => p.endedAt === undefined);
  if (!open || !open.total || !open.done) return null;
  const elapsed = (now - open.startedAt) / 1000;
  let left = (elapsed * (open.total - open.done)) / open.done;
  const fp = run.phases.find((p) => p.name === 'eval-fp' && p.endedAt !== undefined);
  const quantEvalAhead = run.config.method !== 'fp' && open.name !== 'eval-quant' && !run.phases.some((p) => p.name === 'eval-quant');
  if (fp && quantEvalAhead) left += (fp.endedAt! - fp.startedAt) / 1000;
  return left;
}

/** The phases a run goes through, in order, for the checklist shown before they start. */
export function expectedPhases(config: RunConfig): string[] {
  return config.method === 'fp' ? ['tokenize', 'load', 'eval-fp'] : ['tokenize', 'load', 'eval-fp', config.method, 'measure', 'eval-quant'];
}
