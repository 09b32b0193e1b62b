// GPU test module: fused squared-error loss + gradient against a float64 computation.
import type { Gpu } from '../gpu/gpu';
import { mseWithGrad, sumInto } from './mse-grad';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'loss into its slot and gradient match float64 (sizes below, at and over one workgroup pass)'(gpu) {
    for (const n of [1, 37, 2048, 2048 * 3 + 5, 70001]) {
      const a = randn(n, n),
        b = randn(n, n + 1);
      const gradScale = 2 / (n + 3),
        lossScale = 1 / (n + 3);
      const loss = gpu.zeros([4], 'loss');
      const at = gpu.upload(a, [n]),
        bt = gpu.upload(b, [n]);
      const grad = mseWithGrad(gpu, at, bt, { gradScale, lossScale, loss, slot: 2 });
      let sum = 0;
      const want = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const d = a[i] - b[i];
        sum += d * d;
        want[i] = d * gradScale;
      }
      assertClose(`n=${n} grad`, await grad.readF32(), want);
      assertClose(`n=${n} loss slots`, await loss.readF32(), [0, 0, sum * lossScale, 0]);
      [loss, at, bt, grad].forEach((t) => t.release());
    }
  },

  async 'sumInto: the sum of a vector times a scale into one slot'(gpu) {
    for (const n of [1, 255, 513, 5000]) {
      const x = randn(n, 3 * n);
      const into = gpu.zeros([3], 'into');
      const xt = gpu.upload(x, [n]);
      sumInto(gpu, xt, { scale: 0.25, into, slot: 1 });
      const sum = x.reduce((a, b) => a + b, 0);
      assertClose(`n=${n}`, await into.readF32(), [0, sum * 0.25, 0], 1e-5, 1e-3);
      [into, xt].forEach((t) => t.release());
    }
  },
};
