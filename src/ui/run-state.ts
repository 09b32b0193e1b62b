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
  /** A part of a compound method (TEQ, then TesseraQ), opened by its first progress event. */
  sub?: boolean;
  /** Where inside the phase the work is: "block 2 of 5 · round 3 of 10". */
  step?: string;
  /** The first finished unit of work (time and count): the rate is measured from there, so a slow
   *  start (an initialisation, shaders compiling) is not extrapolated over the whole phase. */
  firstAt?: number;
  firstDone?: number;
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
  /** Cancel was asked for; the engine stops at its next check. */
  cancelling?: boolean;
  /** The model's block count, for the estimate from the plan (unknown: no plan estimate). */
  layers?: number;
  /** Token-block passes a second an earlier run measured on this device, until this one measures its own. */
  rate?: number;
  /** The checkpoint's run id when this run resumes one. */
  resumeOf?: string;
}

export function startRun(config: RunConfig, now: number, layers?: number, rate?: number): LiveRun {
  return { status: 'running', config, startedAt: now, phases: [], losses: {}, scales: {}, layerErrors: [], log: [], layers, ...(rate ? { rate } : {}) };
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
        phases = phases.slice();
        if (i < 0) {
          // A part of a compound method: the part before it has ended (a part whose progress stopped
          // short of its total would otherwise keep counting until the next phase).
          let from = now;
          phases = phases.map((p) => {
            if (!p.sub) return p;
            from = p.endedAt ?? now;
            return p.endedAt === undefined ? { ...p, endedAt: now } : p;
          });
          const parent = findLastIndex(phases, (p) => !p.sub && p.endedAt === undefined);
          const first = !phases.some((p) => p.sub);
          if (first && parent >= 0) from = phases[parent].startedAt;
          phases.push({
            name: e.phase,
            startedAt: from,
            done: e.done,
            total: e.total,
            sub: true,
            step: e.detail,
            ...(e.done > 0 ? { firstAt: now, firstDone: e.done } : {}),
          });
        } else {
          const p = phases[i];
          const finished = p.sub && p.endedAt === undefined && e.done >= e.total;
          const first = p.firstAt === undefined && e.done > 0 ? { firstAt: now, firstDone: e.done } : {};
          phases[i] = { ...p, done: e.done, total: e.total, step: e.detail, ...first, ...(finished ? { endedAt: now } : {}) };
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

/** Work of a phase in token-block passes (one token through one block, forward), from the config. */
export function plannedWork(config: RunConfig, phase: string, layers: number): number {
  const calib = config.calibSamples * config.seqLen;
  // AWQ's search: 20 grid points of each sub-layer over the calibration tokens, the clip search,
  // and the block's activations three times: about 25 passes of a block.
  const awq = 25 * calib * layers;
  // A training step is a forward and a backward: about three passes.
  switch (phase) {
    case 'rtn':
      return 0.1 * calib * layers;
    case 'awq':
      return awq;
    case 'teq':
      return (
        (config.teqInit !== 'ones' ? awq : 0) +
        (config.teqLoss === 'lm' ? 3 * config.steps * config.seqLen * layers : 3 * config.steps * 4 * config.seqLen * layers + 3 * calib * layers)
      );
    case 'tesseraq': {
      const rounds = config.tqSchedule === 'paper20' ? 20 : 10;
      return awq + 3 * rounds * config.tqIters * config.tqBatch * config.seqLen * layers + 3 * calib * layers;
    }
    case 'teq+tesseraq':
      return plannedWork(config, 'teq', layers) + plannedWork(config, 'tesseraq', layers);
    case 'measure':
      return 3 * calib * layers;
    default:
      return 0;
  }
}

/**
 * The device's speed in token-block passes a second, from this run's fp32 evaluation (or, when it
 * reused an earlier one, its quantized evaluation once that has run, else its error measurement);
 * null before any of them has made progress. The evaluations' work is known exactly (every window
 * through every block); the error measurement's is planned, so it is the last resort.
 */
export function measuredRate(run: LiveRun, now: number): number | null {
  if (!run.layers) return null;
  const seconds = (p: PhaseState) => ((p.endedAt ?? now) - p.startedAt) / 1000;
  for (const name of ['eval-fp', 'eval-quant']) {
    const ev = run.phases.find((p) => p.name === name);
    if (!ev?.total || !ev.done) continue;
    const perUnit = ((run.config.evalWindows || ev.total) * run.config.seqLen * run.layers) / ev.total;
    // From its first progress on where it can: before it the time goes mostly to compiling shaders.
    if (ev.firstAt !== undefined && ev.firstDone !== undefined && ev.done > ev.firstDone) {
      const s = ((ev.endedAt ?? now) - ev.firstAt) / 1000;
      if (s > 0) return (perUnit * (ev.done - ev.firstDone)) / s;
    }
    if (seconds(ev) > 0) return (perUnit * ev.done) / seconds(ev);
  }
  const m = run.phases.find((p) => p.name === 'measure');
  if (m?.total && m.done && seconds(m) > 0) return (plannedWork(run.config, 'measure', run.layers) * (m.done / m.total)) / seconds(m);
  return null;
}

/**
 * A whole run's time before it starts, from the plan at a measured rate; `evalWindows` is the
 * number of evaluation windows when the config says every window (0). Null without a count.
 */
export function expectedSeconds(config: RunConfig, layers: number, rate: number, evalWindows?: number): number | null {
  const windows = config.evalWindows || evalWindows;
  if (!windows || !(rate > 0)) return null;
  const evalWork = windows * config.seqLen * layers;
  const parts = workParts(config).filter((p) => !p.startsWith('eval'));
  return (evalWork * (config.method === 'fp' ? 1 : 2) + parts.reduce((a, p) => a + plannedWork(config, p, layers), 0)) / rate;
}

/** The parts whose time is estimated, in order: a compound method counts as its parts. */
function workParts(config: RunConfig): string[] {
  if (config.method === 'fp') return ['eval-fp'];
  const method = config.method === 'teq+tesseraq' ? ['teq', 'tesseraq'] : [config.method];
  return ['eval-fp', ...method, ...(config.measureErrors === false ? [] : ['measure']), 'eval-quant'];
}

export interface Remaining {
  seconds: number;
  /** True while part of it comes from the plan (no unit of that work has finished yet). */
  fromPlan: boolean;
}

/**
 * Seconds left, or null when there is nothing to go on yet. A part with progress is extrapolated
 * from its own rate (elapsed × remaining / done); a part without any is planned from its work
 * (plannedWork) at the rate the fp32 evaluation measured (token-block passes per second), or the
 * rate an earlier run measured on this adapter; the quantized evaluation scores the fp32 one's windows.
 */
export function estimateRemaining(run: LiveRun, now: number): Remaining | null {
  if (run.status !== 'running') return { seconds: 0, fromPlan: false };
  const fp = run.phases.find((p) => p.name === 'eval-fp');
  const seconds = (p: PhaseState) => ((p.endedAt ?? now) - p.startedAt) / 1000;
  // The device's rate in token-block passes per second, from the fp32 evaluation so far.
  const rate: number | null = measuredRate(run, now) ?? run.rate ?? null;
  const fpSeconds = fp?.total && fp.done ? (seconds(fp) * fp.total) / fp.done : fp?.endedAt !== undefined ? seconds(fp) : null;
  let left = 0;
  let fromPlan = false;
  for (const name of workParts(run.config)) {
    const p = run.phases.findLast((q) => q.name === name);
    if (p?.endedAt !== undefined) continue;
    // A run that reuses the fp32 perplexity of an earlier one has no fp32 evaluation.
    if (!p && name === 'eval-fp' && run.phases.some((q) => !['tokenize', 'load'].includes(q.name))) continue;
    if (p?.total && p.done) {
      // From the first finished unit on once a second one has finished. Before, the phase's start
      // (an initialisation, shaders compiling) would be extrapolated over every unit: the plan
      // says more, where there is a rate to plan with.
      const measured = p.firstAt !== undefined && p.firstDone !== undefined && p.done > p.firstDone;
      const planned = rate !== null && run.layers && !name.startsWith('eval') ? plannedWork(run.config, name, run.layers) / rate : null;
      if (measured) left += ((now - p.firstAt!) / 1000) * ((p.total - p.done) / (p.done - p.firstDone!));
      else if (planned !== null) {
        left += (planned * (p.total - p.done)) / p.total;
        fromPlan = true;
      } else left += (seconds(p) * (p.total - p.done)) / p.done;
      continue;
    }
    if (name === 'eval-quant') {
      // The fp32 evaluation's work at the measured rate (its own time includes compiling shaders).
      const windows = run.config.evalWindows || fp?.total;
      const planned = rate !== null && run.layers && windows ? (windows * run.config.seqLen * run.layers) / rate : fpSeconds;
      if (planned === null) return null;
      left += Math.max(0, planned - (p ? seconds(p) : 0));
      continue;
    }
    if (rate === null || !run.layers) return null;
    // A compound method's first part starts with its parent phase (its sub-phase opens at its first progress).
    const started = p ?? run.phases.find((q) => q.name === run.config.method && q.endedAt === undefined && name === workParts(run.config)[1]);
    left += Math.max(0, plannedWork(run.config, name, run.layers) / rate - (started ? seconds(started) : 0));
    fromPlan = true;
  }
  return { seconds: left, fromPlan };
}

/** The phases a run goes through, in order, for the checklist shown before they start. */
export function expectedPhases(config: RunConfig): string[] {
  if (config.method === 'fp') return ['tokenize', 'load', 'eval-fp'];
  return ['tokenize', 'load', 'eval-fp', config.method, ...(config.measureErrors === false ? [] : ['measure']), 'eval-quant'];
}
