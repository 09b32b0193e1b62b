// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { gelu, geluBackward, relu, reluBackward, swiglu, swigluBackward, swigluSideBySide, swigluSideBySideBackward } from './activation';
import { geluBackwardRef, geluRef, reluBackwardRef, reluRef, swigluBackwardRef, swigluRef } from '../reference/activation';
import { randn } from '../reference/rng';
import { assertClose, maxRelError, assertSameBits } from '../reference/compare';

const sizes = [37 * 172, 1, 257];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'swiglu forward and backward vs float64 twin'(gpu) {
    for (const n of sizes) {
      const g = randn(n, n, 3),
        u = randn(n, n + 1),
        dy = randn(n, n + 2);
      const gg = gpu.upload(g, [n]),
        ug = gpu.upload(u, [n]);
      assertClose(`swiglu n=${n}`, await swiglu(gpu, gg, ug).readF32(), swigluRef(g, u));
      const r = swigluBackward(gpu, gpu.upload(dy, [n]), gg, ug);
      const ref = swigluBackwardRef(dy, g, u);
      assertClose(`swiglu dgate n=${n}`, await r.dgate.readF32(), ref.dgate);
      assertClose(`swiglu dup n=${n}`, await r.dup.readF32(), ref.dup);
    }
  },

  async 'swiglu with gate and up side by side in each row: the bits of the separate kernel'(gpu) {
    const [T, width] = [37, 172];
    const g = randn(T * width, 11, 3),
      u = randn(T * width, 12),
      dy = randn(T * width, 13);
    // gate's row t, then up's, in each row of one [T, 2*width] tensor
    const gu = new Float32Array(2 * T * width);
    for (let t = 0; t < T; t++) {
      gu.set(g.subarray(t * width, (t + 1) * width), 2 * t * width);
      gu.set(u.subarray(t * width, (t + 1) * width), (2 * t + 1) * width);
    }
    const [gg, ug, gug, dyg] = [gpu.upload(g, [T, width]), gpu.upload(u, [T, width]), gpu.upload(gu, [T, 2 * width]), gpu.upload(dy, [T, width])];
    assertSameBits('swiglu', await swigluSideBySide(gpu, gug).readF32(), await swiglu(gpu, gg, ug).readF32());
    const sep = swigluBackward(gpu, dyg, gg, ug);
    const [dg, du] = [await sep.dgate.readF32(), await sep.dup.readF32()];
    const both = await swigluSideBySideBackward(gpu, dyg, gug).readF32();
    for (let t = 0; t < T; t++) {
      assertSameBits(`dgate row ${t}`, both.subarray(2 * t * width, (2 * t + 1) * width), dg.subarray(t * width, (t + 1) * width));
      assertSameBits(`dup row ${t}`, both.subarray((2 * t + 1) * width, (2 * t + 2) * width), du.subarray(t * width, (t + 1) * width));
    }
    assertClose('swiglu dgate side by side', dg, swigluBackwardRef(dy, g, u).dgate);
  },

  async 'swiglu saturates without NaN for large |gate|'(gpu) {
    const g = Float32Array.from([-200, -90, 90, 200]),
      u = Float32Array.from([1, 2, 3, 4]);
    const y = await swiglu(gpu, gpu.upload(g, [4]), gpu.upload(u, [4])).readF32();
    assertClose('swiglu saturation', y, swigluRef(g, u));
    const r = swigluBackward(gpu, gpu.upload(Float32Array.from([1, 1, 1, 1]), [4]), gpu.upload(g, [4]), gpu.upload(u, [4]));
    const ref = swigluBackwardRef([1, 1, 1, 1], g, u);
    assertClose('swiglu saturation dgate', await r.dgate.readF32(), ref.dgate);
  },

  async 'relu forward and backward vs float64 twin'(gpu) {
    for (const n of sizes) {
      const x = randn(n, n + 3),
        dy = randn(n, n + 4);
      if (n > 2) x[1] = 0; // gradient at the kink is 0
      const xg = gpu.upload(x, [n]);
      assertClose(`relu n=${n}`, await relu(gpu, xg).readF32(), reluRef(x), 0);
      assertClose(`relu dx n=${n}`, await reluBackward(gpu, gpu.upload(dy, [n]), xg).readF32(), reluBackwardRef(dy, x), 0);
    }
  },

  async 'gelu forward and backward vs float64 twin'(gpu) {
    for (const n of sizes) {
      const x = randn(n, n + 5, 3),
        dy = randn(n, n + 6);
      const xg = gpu.upload(x, [n]);
      assertClose(`gelu n=${n}`, await gelu(gpu, xg).readF32(), geluRef(x));
      assertClose(`gelu dx n=${n}`, await geluBackward(gpu, gpu.upload(dy, [n]), xg).readF32(), geluBackwardRef(dy, x));
    }
  },

  async 'gelu keeps element-wise relative accuracy in the negative tail (-8 to 8)'(gpu) {
    // Element-wise relative error, not relative to the largest value: x Phi(x) is tiny for
    // negative x and would be lost entirely by computing 1 + erf(x / sqrt 2). What is left is
    // f32 rounding of the exp argument (about x^2/2 ulps), so the bound is 1e-5, not 1e-6.
    const n = 1601;
    const x = Float32Array.from({ length: n }, (_, i) => -8 + i * 0.01);
    const y = await gelu(gpu, gpu.upload(x, [n])).readF32();
    const ref = geluRef(x);
    let worst = 0,
      at = 0;
    for (let i = 0; i < n; i++) {
      const e = maxRelError([y[i]], [ref[i]], 1e-30);
      if (!(e <= worst)) {
        worst = e;
        at = x[i];
      }
    }
    if (!(worst <= 1e-5)) throw new Error(`gelu element-wise relative error ${worst} at x=${at}`);
  },
};
