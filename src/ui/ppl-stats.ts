// How sure a perplexity is: intervals from the spread of the evaluation windows' mean losses, and
// the paired comparison of a quantized run with fp32 on the same windows. Tokens inside a window
// are not independent, so the window (not the token) is the unit of the spread.
import type { RunResult } from '../core/run-types';

// Student's t, 97.5% quantile, for 1..30 degrees of freedom (1.96 beyond).
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

function meanAndHalfWidth(xs: number[]): { mean: number; half: number } | null {
  const n = xs.length;
  if (n < 2 || !xs.every(Number.isFinite)) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, half: (T975[n - 2] ?? 1.96) * Math.sqrt(variance / n) };
}

/** The 95% interval of a perplexity from its windows' mean losses; null with fewer than two windows. */
export function pplInterval(windowNll: number[] | undefined): { lo: number; hi: number } | null {
  const m = windowNll && meanAndHalfWidth(windowNll);
  return m ? { lo: Math.exp(m.mean - m.half), hi: Math.exp(m.mean + m.half) } : null;
}

export interface PairedComparison {
  /** exp(mean of quant − fp window losses): the perplexity ratio, with its 95% interval. */
  ratio: number;
  lo: number;
  hi: number;
  /** The quantized model is better than fp32 beyond the windows' noise: worth a second look. */
  beatsFpBeyondNoise: boolean;
}

/** Quantized against fp32 window by window (the same windows): the noise of the difference only. */
export function compareWithFp(run: Pick<RunResult, 'windowNll'>): PairedComparison | null {
  const fp = run.windowNll?.fp;
  const q = run.windowNll?.quant;
  if (!fp || !q || fp.length !== q.length) return null;
  const m = meanAndHalfWidth(q.map((v, i) => v - fp[i]));
  if (!m) return null;
  return { ratio: Math.exp(m.mean), lo: Math.exp(m.mean - m.half), hi: Math.exp(m.mean + m.half), beatsFpBeyondNoise: m.mean + m.half < 0 };
}
