// Comparison against the float64 oracle: relative error as ||a-b||_inf / max(||b||_inf, floor).
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-6): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let maxRef = floor;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxDiff / maxRef;
}

export function assertClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, floor = 1e-6): void {
  const e = maxRelError(actual, expected, floor);
  if (!(e <= tol)) throw new Error(`${name}: relative error ${e.toExponential(3)} > ${tol}`);
}

/** Every value of `actual` equal to `expected`'s bit for bit (-0 and 0 apart, NaN equal to NaN). */
export function assertSameBits(name: string, actual: Float32Array, expected: Float32Array): void {
  const i = actual.findIndex((v, j) => !Object.is(v, expected[j]));
  if (actual.length !== expected.length || i >= 0) throw new Error(`${name}: ${actual[i]} != ${expected[i]} at ${i} (of ${expected.length})`);
}
