// What Compare shows without hovering: the best method at each bit width and the current run's Δ.
// Pure, so the choice of "best" and "current" is unit-tested without a browser.
import type { RunResult } from '../core/run-types';

export interface BestAtBits {
  bits: number;
  /** The runs with the lowest quantized perplexity at these bits (more than one on a tie). */
  runs: RunResult[];
}

/** The latest run of each (method, bits); runs come newest first, as History keeps them. */
export function latestPerMethodAndBits(runs: RunResult[]): RunResult[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    const key = `${r.method}|${r.bits}`;
    if (r.method === 'fp' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Per bit width present, ascending: the method(s) whose latest run has the lowest quantized
 * perplexity. Compared on perplexity rather than Δ: every run of a group shares its fp32 baseline.
 */
export function bestPerBits(runs: RunResult[]): BestAtBits[] {
  const latest = latestPerMethodAndBits(runs).filter((r) => Number.isFinite(r.pplQuant));
  const bits = [...new Set(latest.map((r) => r.bits))].sort((a, b) => a - b);
  return bits.map((b) => {
    const at = latest.filter((r) => r.bits === b);
    const low = Math.min(...at.map((r) => r.pplQuant));
    return { bits: b, runs: at.filter((r) => r.pplQuant === low) };
  });
}

/**
 * The run Compare points out: the one this session just finished when it is among these runs,
 * else the newest of them. `justFinished` is false for the newest run.
 */
export function currentRun(runs: RunResult[], finishedId: string | undefined): { run: RunResult; justFinished: boolean } | null {
  const finished = finishedId === undefined ? undefined : runs.find((r) => r.id === finishedId && r.method !== 'fp');
  if (finished) return { run: finished, justFinished: true };
  const newest = runs.find((r) => r.method !== 'fp');
  return newest ? { run: newest, justFinished: false } : null;
}
