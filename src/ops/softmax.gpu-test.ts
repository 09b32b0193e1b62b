// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { logsumexpRows, softmaxRows } from './softmax';
import { logsumexpRowsRef, softmaxRowsRef } from '../reference/softmax';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'softmax and logsumexp on odd shapes, including a 20011-wide row'(gpu) {
    for (const [r, c] of [
      [1, 1],
      [3, 257],
      [37, 19],
      [2, 20_011],
      [300, 5],
    ]) {
      const x = randn(r * c, r * 7 + c, 3);
      const tx = gpu.upload(x, [r, c]);
      assertClose(`softmax [${r},${c}]`, await softmaxRows(gpu, tx).readF32(), softmaxRowsRef(x, r, c), 1e-5);
      assertClose(`logsumexp [${r},${c}]`, await logsumexpRows(gpu, tx).readF32(), logsumexpRowsRef(x, r, c), 1e-5);
    }
  },
  async 'logsumexp over 70001 rows (rows spread over the grid y dimension)'(gpu) {
    const [r, c] = [70_001, 2];
    const x = randn(r * c, 17, 3);
    assertClose('logsumexp 70001 rows', await logsumexpRows(gpu, gpu.upload(x, [r, c])).readF32(), logsumexpRowsRef(x, r, c), 1e-5);
  },
  async 'large logits stay finite (max subtraction) and -inf entries get zero probability'(gpu) {
    const c = 301;
    const x = randn(2 * c, 12, 2).map((v) => v + 2000);
    x[5] = -Infinity;
    const tx = gpu.upload(x, [2, c]);
    const p = await softmaxRows(gpu, tx).readF32();
    assertClose('softmax +2000', p, softmaxRowsRef(x, 2, c), 1e-5);
    if (p[5] !== 0) throw new Error(`softmax of -inf is ${p[5]}, not 0`);
    assertClose('logsumexp +2000', await logsumexpRows(gpu, tx).readF32(), logsumexpRowsRef(x, 2, c), 1e-6);
  },
};
