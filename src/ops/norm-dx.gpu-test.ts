// GPU test module: the dx-only norm backward (with and without a residual) against the float64 twins.
import type { Gpu } from '../gpu/gpu';
import { normBackwardDx } from './norm-dx';
import { layerNormBackwardRef, layerNormRef, rmsNormBackwardRef, rmsNormRef } from '../reference/norm';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

const eps = 1e-5;
// C below, above and not a multiple of the workgroup; T odd.
const shapes = [
  { T: 37, C: 172 },
  { T: 5, C: 600 },
  { T: 70, C: 9 },
];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'rmsNorm and layerNorm dx, with and without a residual, vs float64 twins'(gpu) {
    for (const { T, C } of shapes) {
      const x = randn(T * C, T + C, 2).map((v, i) => v + 2 * Math.cos(Math.floor(i / C)));
      const w = randn(C, C + 1);
      const dy = randn(T * C, T * C);
      const res = randn(T * C, T * C + 5);
      const tag = `T=${T} C=${C}`;
      const xg = gpu.upload(x, [T, C]),
        wg = gpu.upload(w, [C]),
        dyg = gpu.upload(dy, [T, C]),
        rg = gpu.upload(res, [T, C]);
      const withRes = (d: Float64Array) => d.map((v, i) => v + res[i]);

      const rms = rmsNormRef(x, w, eps);
      const rstd = Float32Array.from(rms.rstd);
      const rms32 = gpu.upload(rstd, [T]);
      const want = rmsNormBackwardRef(dy, x, w, rstd).dx;
      assertClose(`rms dx ${tag}`, await normBackwardDx(gpu, dyg, xg, wg, rms32).readF32(), want);
      assertClose(`rms dx+res ${tag}`, await normBackwardDx(gpu, dyg, xg, wg, rms32, { residual: rg }).readF32(), withRes(want));

      const ln = layerNormRef(x, w, randn(C, C + 2), eps);
      const mean = Float32Array.from(ln.mean),
        lrstd = Float32Array.from(ln.rstd);
      const mg = gpu.upload(mean, [T]),
        lr = gpu.upload(lrstd, [T]);
      const lwant = layerNormBackwardRef(dy, x, w, mean, lrstd).dx;
      assertClose(`ln dx ${tag}`, await normBackwardDx(gpu, dyg, xg, wg, lr, { mean: mg }).readF32(), lwant);
      assertClose(`ln dx+res ${tag}`, await normBackwardDx(gpu, dyg, xg, wg, lr, { mean: mg, residual: rg }).readF32(), withRes(lwant));
      [xg, wg, dyg, rg, rms32, mg, lr].forEach((t) => t.release());
    }
  },
};
