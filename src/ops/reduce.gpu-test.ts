// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
// Sums of mixed-sign values can cancel, so their error is measured relative to the sum of |x|
// (the condition of the sum: passed as assertClose's floor); f32 rounding of a sum is bounded by
// about (depth of the reduction) * 6e-8 of that, well inside 1e-5.
import type { Gpu } from '../gpu/gpu';
import { meanSquaredError, sumAll, sumCols, sumRows, sumSquares } from './reduce';
import { meanSquaredErrorRef, sumAllRef, sumColsRef, sumRowsRef, sumSquaresRef } from '../reference/reduce';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

const abs = (x: ArrayLike<number>) => Float64Array.from(x as ArrayLike<number>, Math.abs);
function maxOf(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  return m;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'sumRows on odd shapes'(gpu) {
    // 70001 rows: more than 65535 workgroups, so rows spread over the grid's y dimension.
    for (const [r, c] of [
      [1, 1],
      [3, 257],
      [37, 19],
      [5, 1000],
      [300, 3],
      [70_001, 2],
    ]) {
      const x = randn(r * c, r + 31 * c);
      const got = await sumRows(gpu, gpu.upload(x, [r, c])).readF32();
      assertClose(`sumRows [${r},${c}]`, got, sumRowsRef(x, r, c), 1e-6, maxOf(sumRowsRef(abs(x), r, c)));
    }
  },
  async 'sumCols on odd shapes, up to 70001 rows (three passes)'(gpu) {
    for (const [r, c] of [
      [1, 1],
      [257, 3],
      [1000, 65],
      [70_001, 5],
      [513, 130],
    ]) {
      const x = randn(r * c, 7 * r + c);
      const got = await sumCols(gpu, gpu.upload(x, [r, c])).readF32();
      assertClose(`sumCols [${r},${c}]`, got, sumColsRef(x, r, c), 1e-6, maxOf(sumColsRef(abs(x), r, c)));
    }
  },
  async 'sumCols accumulate adds to out'(gpu) {
    const [r, c] = [600, 70];
    const x = randn(r * c, 5),
      base = randn(c, 6);
    const out = gpu.upload(base, [c]);
    sumCols(gpu, gpu.upload(x, [r, c]), out, { accumulate: true });
    const want = sumColsRef(x, r, c).map((s, i) => s + base[i]);
    assertClose('sumCols accumulate', await out.readF32(), want, 1e-6, maxOf(sumColsRef(abs(x), r, c)));
  },
  async 'sumAll and sumSquares, up to 100003 values (two passes)'(gpu) {
    for (const n of [1, 2048, 2049, 100_003]) {
      const x = randn(n, n);
      const tx = gpu.upload(x, [n]);
      assertClose(`sumAll n=${n}`, await sumAll(gpu, tx).readF32(), [sumAllRef(x)], 1e-6, sumAllRef(abs(x)));
      assertClose(`sumSquares n=${n}`, await sumSquares(gpu, tx).readF32(), [sumSquaresRef(x)], 1e-6);
    }
  },
  async 'meanSquaredError with default and given denominator'(gpu) {
    const n = 5003;
    const a = randn(n, 1),
      b = randn(n, 2);
    const ta = gpu.upload(a, [n]),
      tb = gpu.upload(b, [n]);
    assertClose('mse', await meanSquaredError(gpu, ta, tb).readF32(), [meanSquaredErrorRef(a, b)], 1e-6);
    assertClose('mse /7', await meanSquaredError(gpu, ta, tb, { denominator: 7 }).readF32(), [meanSquaredErrorRef(a, b, 7)], 1e-6);
  },
  async 'reductions are bit-for-bit reproducible'(gpu) {
    const [r, c] = [3001, 17];
    const x = gpu.upload(randn(r * c, 99), [r, c]);
    const s1 = await sumAll(gpu, x).readF32(),
      s2 = await sumAll(gpu, x).readF32();
    const c1 = await sumCols(gpu, x).readF32(),
      c2 = await sumCols(gpu, x).readF32();
    if (s1[0] !== s2[0]) throw new Error(`sumAll differs between runs: ${s1[0]} vs ${s2[0]}`);
    c1.forEach((v, i) => {
      if (v !== c2[i]) throw new Error(`sumCols[${i}] differs between runs: ${v} vs ${c2[i]}`);
    });
  },
};
