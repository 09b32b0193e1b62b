// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { adamStep } from './adam';
import { adamStepRef } from '../reference/adam';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'three steps vs the twin, with and without weight decay and gradScale'(gpu) {
    const configs = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.9, eps: 1e-8, weightDecay: 0 },
      { lr: 5e-2, beta1: 0.8, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, gradScale: 0.25 },
    ];
    for (const [k, cfg] of configs.entries()) {
      for (const n of [1, 257, 3001]) {
        const p0 = randn(n, n + k),
          m0 = new Float32Array(n),
          v0 = new Float32Array(n);
        const tp = gpu.upload(p0, [n]),
          tm = gpu.upload(m0, [n]),
          tv = gpu.upload(v0, [n]);
        const p = Float64Array.from(p0),
          m = new Float64Array(n),
          v = new Float64Array(n);
        for (let step = 1; step <= 3; step++) {
          const g = randn(n, 1000 * step + n + k);
          adamStep(gpu, tp, gpu.upload(g, [n]), tm, tv, { ...cfg, step });
          adamStepRef(p, g, m, v, { ...cfg, step });
        }
        const at = `config ${k} n=${n}`;
        assertClose(`param ${at}`, await tp.readF32(), p, 1e-5);
        assertClose(`m ${at}`, await tm.readF32(), m, 1e-5);
        assertClose(`v ${at}`, await tv.readF32(), v, 1e-5);
      }
    }
  },
};
