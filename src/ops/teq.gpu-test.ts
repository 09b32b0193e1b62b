import type { Gpu } from '../gpu/gpu';
import { teqGradContrib } from './teq';
import { quantizeWeight } from './quantize';
import { teqGradContribRef, teqEffectiveWeightRef } from '../reference/teq';
import { randn, randu } from '../reference/rng';
import { assertClose } from '../reference/compare';
import type { QuantSpec } from '../quant/format';

async function check(gpu: Gpu, rows: number, cols: number, spec: QuantSpec, full: boolean, seed: number) {
  const w = randn(rows * cols, seed), alpha = randu(cols, seed + 1, 0.5, 1.5), dW = randn(rows * cols, seed + 2);
  const wt = gpu.upload(w, [rows, cols]), at = gpu.upload(alpha, [cols]), dt = gpu.upload(dW, [rows, cols]);
  const label = `${rows}x${cols} b${spec.bits} g${spec.groupSize}${spec.symmetric ? ' sym' : ''} ${full ? 'full' : 'round'}`;
  const eff = quantizeWeight(gpu, wt, spec, { colScale: at, codes: false, dequant: true, unscale: true }).deq!;
  assertClose(`${label} effective weight`, await eff.readF32(), teqEffectiveWeightRef(w, alpha, rows, cols, spec), 1e-5);
  const c = teqGradContrib(gpu, wt, at, dt, spec, full ? 'ste-full' : 'ste-round');
  assertClose(`${label} dα contributions`, await c.readF32(), teqGradContribRef(w, alpha, dW, rows, cols, spec, full), 1e-4);
  [wt, at, dt, eff, c].forEach((t) => t.release());
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'dα contributions match the float64 twin (ragged groups, both estimators)'(gpu) {
    await check(gpu, 7, 70, { bits: 3, groupSize: 32, symmetric: false }, false, 1);
    await check(gpu, 7, 70, { bits: 3, groupSize: 32, symmetric: false }, true, 2);
    await check(gpu, 5, 48, { bits: 2, groupSize: 0, symmetric: false }, false, 3);
    await check(gpu, 5, 48, { bits: 4, groupSize: 16, symmetric: true }, false, 4);
  },
};
