// The perplexity protocol of test/fixtures/README.md: tokens = [BOS] + encode(text);
// non-overlapping windows of `windowLen` tokens, each evaluated from position 0, positions
// 1..windowLen-1 scored, the partial last window dropped.
export function evaluationWindows(tokens: ArrayLike<number>, windowLen: number, maxWindows = 0): Uint32Array[] {
  const count = Math.floor(tokens.length / windowLen);
  const n = maxWindows > 0 ? Math.min(maxWindows, count) : count;
  const out: Uint32Array[] = [];
  for (let w = 0; w < n; w++) out.push(Uint32Array.from({ length: windowLen }, (_, i) => tokens[w * windowLen + i]));
  return out;
}
