import { describe, expect, it } from 'vitest';
import type { RunResult } from '../core/run-types';
import { bestPerBits, currentRun } from './compare-highlights';

/** Only what Compare reads; the rest of a run does not matter here. */
function run(id: string, method: RunResult['method'], bits: number, pplQuant: number): RunResult {
  return { id, method, bits, pplQuant, pplFp: 10 } as RunResult;
}

describe('Compare highlights', () => {
  it('names the method with the lowest perplexity at each bit width, from the latest run of each method', () => {
    // Newest first. RTN W4's older run (9.9) is not its latest (11): TEQ's 10.8 is the best at W4.
    const runs = [run('a', 'rtn', 4, 11), run('b', 'teq', 4, 10.8), run('c', 'tesseraq', 3, 12), run('d', 'rtn', 3, 14), run('e', 'rtn', 4, 9.9)];
    expect(bestPerBits(runs).map((b) => [b.bits, b.runs.map((r) => r.id)])).toEqual([
      [3, ['c']],
      [4, ['b']],
    ]);
  });

  it('keeps every method on a tie and leaves out fp32 and unfinished perplexities', () => {
    const runs = [run('a', 'rtn', 2, 50), run('b', 'awq', 2, 50), run('c', 'fp', 2, 1), run('d', 'teq', 2, Number.NaN)];
    expect(bestPerBits(runs)[0].runs.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('points at the run this session just finished, else at the newest', () => {
    const runs = [run('new', 'rtn', 4, 11), run('old', 'teq', 3, 12)];
    expect(currentRun(runs, 'old')).toEqual({ run: runs[1], justFinished: true });
    expect(currentRun(runs, 'elsewhere')).toEqual({ run: runs[0], justFinished: false });
    expect(currentRun(runs, undefined)).toEqual({ run: runs[0], justFinished: false });
    expect(currentRun([], undefined)).toBeNull();
  });
});
