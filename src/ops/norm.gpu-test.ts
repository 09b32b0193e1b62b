// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { layerNorm, layerNormBackward, rmsNorm, rmsNormBackward } from './norm';
import { layerNormBackwardRef, layerNormRef, rmsNormBackwardRef, rmsNormRef } from '../reference/norm';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';
import { add } from './elementwise';

const eps = 1e-5;
// Odd shapes: C not a multiple of the workgroup, C larger than it, T over several grad chunks.
const shapes: { T: number; C: number; chunk?: number }[] = [
  { T: 37, C: 172 },
  { T: 5, C: 600 },
  { T: 70, C: 9, chunk: 16 },
];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'rmsNorm forward and backward vs float64 twin'(gpu) {
    for (const { T, C, chunk } of shapes) {
      const x = randn(T * C, T + C, 2);
      const w = randn(C, C + 1);
      const dy = randn(T * C, T * C);
      const tag = `T=${T} C=${C}`;
      const xg = gpu.upload(x, [T, C]),
        wg = gpu.upload(w, [C]);
      const { y, rstd } = rmsNorm(gpu, xg, wg, eps);
      const ref = rmsNormRef(x, w, eps);
      assertClose(`rmsNorm y ${tag}`, await y.readF32(), ref.y);
      assertClose(`rmsNorm rstd ${tag}`, await rstd.readF32(), ref.rstd);
      // Backward from the float64 statistics so only the backward kernel is under test.
      const rstdIn = gpu.upload(Float32Array.from(ref.rstd), [T]);
      const g = rmsNormBackward(gpu, gpu.upload(dy, [T, C]), xg, wg, rstdIn, { chunk });
      const gr = rmsNormBackwardRef(dy, x, w, Float32Array.from(ref.rstd));
      assertClose(`rmsNorm dx ${tag}`, await g.dx.readF32(), gr.dx);
      assertClose(`rmsNorm dweight ${tag}`, await g.dweight.readF32(), gr.dweight);
    }
  },

  async 'layerNorm forward and backward vs float64 twin'(gpu) {
    for (const { T, C, chunk } of shapes) {
      // A non-zero mean per row exercises the two-pass variance.
      const x = randn(T * C, T + 2 * C, 2).map((v, i) => v + 3 * Math.sin(Math.floor(i / C)));
      const w = randn(C, C + 3);
      const b = randn(C, C + 4);
      const dy = randn(T * C, T * C + 5);
      const tag = `T=${T} C=${C}`;
      const xg = gpu.upload(x, [T, C]),
        wg = gpu.upload(w, [C]);
      const { y, mean, rstd } = layerNorm(gpu, xg, wg, gpu.upload(b, [C]), eps);
      const ref = layerNormRef(x, w, b, eps);
      assertClose(`layerNorm y ${tag}`, await y.readF32(), ref.y);
      assertClose(`layerNorm mean ${tag}`, await mean.readF32(), ref.mean);
      assertClose(`layerNorm rstd ${tag}`, await rstd.readF32(), ref.rstd);
      const meanIn = Float32Array.from(ref.mean),
        rstdIn = Float32Array.from(ref.rstd);
      const g = layerNormBackward(gpu, gpu.upload(dy, [T, C]), xg, wg, gpu.upload(meanIn, [T]), gpu.upload(rstdIn, [T]), { chunk });
      const gr = layerNormBackwardRef(dy, x, w, meanIn, rstdIn);
      assertClose(`layerNorm dx ${tag}`, await g.dx.readF32(), gr.dx);
      assertClose(`layerNorm dweight ${tag}`, await g.dweight.readF32(), gr.dweight);
      assertClose(`layerNorm dbias ${tag}`, await g.dbias.readF32(), gr.dbias);
    }
  },

  async 'rmsNorm dweight is bit-identical across runs (no atomics)'(gpu) {
    const T = 300,
      C = 33;
    const x = gpu.upload(randn(T * C, 1), [T, C]),
      w = gpu.upload(randn(C, 2), [C]);
    const dy = gpu.upload(randn(T * C, 3), [T, C]);
    const { rstd } = rmsNorm(gpu, x, w, eps);
    const a = await rmsNormBackward(gpu, dy, x, w, rstd, { chunk: 64 }).dweight.readF32();
    const b = await rmsNormBackward(gpu, dy, x, w, rstd, { chunk: 64 }).dweight.readF32();
    for (let i = 0; i < C; i++) if (a[i] !== b[i]) throw new Error(`dweight[${i}] differs: ${a[i]} vs ${b[i]}`);
  },

  async 'the fused residual add (addend) gives the bits of an add then the norm: RMS and Layer'(gpu) {
    for (const { T, C } of shapes) {
      const x = gpu.upload(randn(T * C, 3 * T + C, 2), [T, C]);
      const r = gpu.upload(randn(T * C, 5 * T + C, 3), [T, C]);
      const w = gpu.upload(randn(C, C + 7), [C]);
      const b = gpu.upload(randn(C, C + 8), [C]);
      const x1 = add(gpu, x, r);
      for (const ln of [false, true]) {
        const fused = ln ? layerNorm(gpu, x, w, b, eps, { addend: r }) : rmsNorm(gpu, x, w, eps, { addend: r });
        const plain = ln ? layerNorm(gpu, x1, w, b, eps) : rmsNorm(gpu, x1, w, eps);
        const pairs: [string, Float32Array, Float32Array][] = [
          ['sum', await fused.sum!.readF32(), await x1.readF32()],
          ['y', await fused.y.readF32(), await plain.y.readF32()],
          ['rstd', await fused.rstd.readF32(), await plain.rstd.readF32()],
        ];
        for (const [name, got, want] of pairs) {
          const bits = [new Uint32Array(got.buffer), new Uint32Array(want.buffer)];
          const differ = bits[0].reduce((n, v, i) => n + (v !== bits[1][i] ? 1 : 0), 0);
          if (differ || got.length !== want.length)
            throw new Error(`${ln ? 'layerNorm' : 'rmsNorm'} T=${T} C=${C}: ${differ} of ${name} differ from add then norm`);
        }
      }
    }
  },
};
