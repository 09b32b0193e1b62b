// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { add, axpy, fill, mul, scale, square, sub } from './elementwise';
import { addRef, axpyRef, mulRef, scaleRef, squareRef, subRef } from '../reference/elementwise';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

const SIZES = [1, 255, 257, 3001];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'add, sub, mul into a new tensor'(gpu) {
    for (const n of SIZES) {
      const a = randn(n, n),
        b = randn(n, n + 1);
      const ta = gpu.upload(a, [n]),
        tb = gpu.upload(b, [n]);
      assertClose(`add n=${n}`, await add(gpu, ta, tb).readF32(), addRef(a, b), 1e-6);
      assertClose(`sub n=${n}`, await sub(gpu, ta, tb).readF32(), subRef(a, b), 1e-6);
      assertClose(`mul n=${n}`, await mul(gpu, ta, tb).readF32(), mulRef(a, b), 1e-6);
      assertClose(`mul a*a n=${n}`, await mul(gpu, ta, ta).readF32(), mulRef(a, a), 1e-6);
    }
  },
  async 'binary ops in place on either operand or both'(gpu) {
    const n = 1001;
    const a = randn(n, 1),
      b = randn(n, 2);
    let ta = gpu.upload(a, [n]);
    sub(gpu, ta, gpu.upload(b, [n]), ta);
    assertClose('sub out=a', await ta.readF32(), subRef(a, b), 1e-6);
    const tb = gpu.upload(b, [n]);
    sub(gpu, gpu.upload(a, [n]), tb, tb);
    assertClose('sub out=b', await tb.readF32(), subRef(a, b), 1e-6);
    ta = gpu.upload(a, [n]);
    add(gpu, ta, ta, ta);
    assertClose('add out=a=b', await ta.readF32(), addRef(a, a), 1e-6);
  },
  async 'scale, square, axpy and fill'(gpu) {
    for (const n of SIZES) {
      const a = randn(n, 3 * n),
        b = randn(n, 3 * n + 1);
      const ta = gpu.upload(a, [n]);
      assertClose(`scale n=${n}`, await scale(gpu, ta, -1.75).readF32(), scaleRef(a, -1.75), 1e-6);
      assertClose(`square n=${n}`, await square(gpu, ta).readF32(), squareRef(a), 1e-6);
      const y = gpu.upload(a, [n]);
      axpy(gpu, y, gpu.upload(b, [n]), 0.3);
      assertClose(`axpy n=${n}`, await y.readF32(), axpyRef(a, b, 0.3), 1e-6);
      scale(gpu, y, 2, y);
      assertClose(`scale in place n=${n}`, await y.readF32(), scaleRef(axpyRef(a, b, 0.3), 2), 1e-6);
      fill(gpu, y, 2.5);
      assertClose(`fill n=${n}`, await y.readF32(), new Float64Array(n).fill(2.5), 0);
      fill(gpu, y, 0);
      assertClose(`fill 0 n=${n}`, await y.readF32(), new Float64Array(n), 0);
    }
  },
};
