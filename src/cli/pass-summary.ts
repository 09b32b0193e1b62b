// Several passes of one benchmark table, summarised per row: the median rate and the range. The lent
// GPU machines have slowed single rows 2-4x at random (a different row each pass,
// docs/half-precision.md, twenty-fourth round), so one pass's figure can be noise; a median over
// interleaved passes is not moved by one such pass in three.

export interface PassRate {
  /** The row's identity across passes (shape and tile). */
  key: string;
  /** TFLOP/s (or any rate) this pass measured. */
  rate: number;
}

export interface PassSummary {
  key: string;
  median: number;
  min: number;
  max: number;
  passes: number;
}

/** One line per key, in the order keys first appear; the median of an even count is the mean of the middle two. */
export function summarisePasses(rates: readonly PassRate[]): PassSummary[] {
  const byKey = new Map<string, number[]>();
  for (const r of rates) {
    const list = byKey.get(r.key) ?? [];
    list.push(r.rate);
    byKey.set(r.key, list);
  }
  return [...byKey].map(([key, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { key, median, min: sorted[0], max: sorted[sorted.length - 1], passes: sorted.length };
  });
}
