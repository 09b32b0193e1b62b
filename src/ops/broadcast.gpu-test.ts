// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { addRowVector, divColVector, divRowVector, mulColVector, mulRowVector } from './broadcast';
import { addRowVectorRef, divColVectorRef, divRowVectorRef, mulColVectorRef, mulRowVectorRef } from '../reference/broadcast';
import { randn, randu } from '../reference/rng';
import { assertClose } from '../reference/compare';

const SHAPES: [number, number][] = [
  [1, 1],
  [3, 257],
  [37, 19],
  [129, 65],
];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'row and column vectors on odd shapes'(gpu) {
    for (const [r, c] of SHAPES) {
      const x = randn(r * c, r * 100 + c);
      // Divisors away from zero keep the quotient well conditioned.
      const vc = randu(c, c + 7, 0.5, 2),
        vr = randu(r, r + 9, 0.5, 2);
      const tx = gpu.upload(x, [r, c]),
        tvc = gpu.upload(vc, [c]),
        tvr = gpu.upload(vr, [r]);
      const at = `[${r},${c}]`;
      assertClose(`mulRowVector ${at}`, await mulRowVector(gpu, tx, tvc).readF32(), mulRowVectorRef(x, r, c, vc), 1e-6);
      assertClose(`divRowVector ${at}`, await divRowVector(gpu, tx, tvc).readF32(), divRowVectorRef(x, r, c, vc), 1e-6);
      assertClose(`addRowVector ${at}`, await addRowVector(gpu, tx, tvc).readF32(), addRowVectorRef(x, r, c, vc), 1e-6);
      assertClose(`mulColVector ${at}`, await mulColVector(gpu, tx, tvr).readF32(), mulColVectorRef(x, r, c, vr), 1e-6);
      assertClose(`divColVector ${at}`, await divColVector(gpu, tx, tvr).readF32(), divColVectorRef(x, r, c, vr), 1e-6);
    }
  },
  async 'in place on x, and a 3-D x with the last dimension as columns'(gpu) {
    const [b, s, c] = [2, 5, 33];
    const x = randn(b * s * c, 41),
      v = randu(c, 42, 0.5, 2);
    const tx = gpu.upload(x, [b, s, c]);
    mulRowVector(gpu, tx, gpu.upload(v, [c]), tx);
    assertClose('mulRowVector in place', await tx.readF32(), mulRowVectorRef(x, b * s, c, v), 1e-6);
    const w = randu(b * s, 43, 0.5, 2);
    const ty = gpu.upload(x, [b, s, c]);
    mulColVector(gpu, ty, gpu.upload(w, [b * s]), ty);
    assertClose('mulColVector in place', await ty.readF32(), mulColVectorRef(x, b * s, c, w), 1e-6);
  },
};
