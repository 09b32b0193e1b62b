// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { add } from './add';
import { addRef } from '../reference/elementwise';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'add on sizes that are not multiples of the workgroup'(gpu) {
    for (const n of [1, 255, 257, 1000, 70_001]) {
      const a = randn(n, n), b = randn(n, n + 1);
      const out = add(gpu, gpu.upload(a, [n]), gpu.upload(b, [n]));
      assertClose(`add n=${n}`, await out.readF32(), addRef(a, b), 1e-6);
    }
  },
};
