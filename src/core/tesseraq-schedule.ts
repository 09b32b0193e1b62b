// TesseraQ's progressive hardening schedules (Intelligent-Computing-Lab-Yale/TesseraQ configs):
// before round i, the fraction t_i of each Linear's rounding variables with the LOWEST confidence
// |h - 0.5| stays soft and the rest becomes hard, so the cumulative hard fraction is about 1 - t_i.
// After the last round every remaining soft variable is hardened by h > 0.5.

export type TesseraqScheduleName = 'paper20' | 'short10';

export const TESSERAQ_SCHEDULES: Record<TesseraqScheduleName, readonly number[]> = {
  /** LLaMA-2 configs: 20 rounds. */
  paper20: [0.8, 0.65, 0.5, 0.43, 0.38, 0.34, 0.3, 0.27, 0.24, 0.21, 0.18, 0.15, 0.12, 0.1, 0.08, 0.06, 0.04, 0.02, 0.01, 0.005],
  /** LLaMA-3.2 W4 configs and upstream LLMC's default: 10 rounds. */
  short10: [0.75, 0.5, 0.375, 0.25, 0.125, 0.09, 0.06, 0.04, 0.02, 0.005],
};

export function tesseraqSchedule(name: TesseraqScheduleName): readonly number[] {
  const s = TESSERAQ_SCHEDULES[name];
  if (!s) throw new Error(`unknown TesseraQ schedule ${name}`);
  return s;
}

/**
 * The 0-based rank in the sorted scores whose value is the t-quantile threshold: np.quantile's
 * linear interpolation sits between ranks floor(t·(n-1)) and ceil(t·(n-1)); the histogram version
 * takes the bin holding the lower one.
 */
export function quantileRank(t: number, n: number): number {
  if (!(t >= 0 && t <= 1)) throw new Error(`quantile ${t} is outside [0, 1]`);
  return Math.min(n - 1, Math.max(0, Math.floor(t * (n - 1))));
}

/** Bins of the confidence histogram: score = |h - 0.5| in [0, 0.5], bin = min(floor(score·2·BINS), BINS-1). */
export const TQ_HIST_BINS = 4096;

/** Per-element rounding state (a mask instead of v = ±inf, which would give inf·0 = NaN). */
export const TQ_SOFT = 0;
export const TQ_HARD_DOWN = 1;
export const TQ_HARD_UP = 2;
