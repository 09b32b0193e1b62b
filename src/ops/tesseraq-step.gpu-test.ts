// The fused TesseraQ step (gradients + Adam on v and u + next soft weight) against the float64
// twins it fuses: tqGradRef, adamStepRef (twice) and tqSoftWeightRef; and with dŴ scaled by the
// loss's power of two and gradScale undoing it (ops/precision.ts lossGradientScale), the same bits.
import type { Gpu } from '../gpu/gpu';
import { releaseTqLinear, tqAdamState, tqFromValues, tqStep, type TqStepOptions } from './tesseraq';
import { randomTqState, tqGradRef, tqSoftWeightRef } from '../reference/tesseraq';
import { adamStepRef } from '../reference/adam';
import { mulberry32, randn } from '../reference/rng';
import { assertClose, assertSameBits } from '../reference/compare';
import type { QuantSpec } from '../core/quant-spec';

const SHAPES: { rows: number; cols: number; spec: QuantSpec }[] = [
  { rows: 5, cols: 70, spec: { bits: 3, groupSize: 32, symmetric: false } }, // ragged last group
  { rows: 4, cols: 300, spec: { bits: 4, groupSize: 0, symmetric: false } }, // per channel: strided group loop
  { rows: 7, cols: 10, spec: { bits: 2, groupSize: 4, symmetric: false } },
];

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'fused step = gradients, Adam on v and u, next soft weight (fresh and running moments)'(gpu) {
    for (const { rows, cols, spec } of SHAPES) {
      for (const step of [1, 5]) {
        const name = `${rows}x${cols} b${spec.bits} g${spec.groupSize} step ${step}`;
        const ref = randomTqState(randn(rows * cols, cols + step), rows, cols, spec, rows + step);
        const n = rows * cols,
          nu = ref.u.length;
        const rand = mulberry32(n + step);
        // Running moments after a few steps (v > 0); zeros for a round's first step.
        const moments = (len: number, positive: boolean) =>
          Float64Array.from({ length: len }, () => (step === 1 ? 0 : Math.fround(positive ? 1e-4 * (0.2 + rand()) : 1e-2 * (rand() - 0.5))));
        const mV = moments(n, false),
          vV = moments(n, true),
          mU = moments(nu, false),
          vU = moments(nu, true);
        const dW = randn(n, rows * cols + 3);
        const o: TqStepOptions = { step, lr: 1e-2, scaleLr: 2e-3, scaleWeightDecay: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

        const w = gpu.upload(Float32Array.from(ref.w), [rows, cols], 'w');
        const L = tqFromValues(gpu, w, spec, ref);
        const adam = gpu.upload(Float32Array.from([...mV, ...vV, ...mU, ...vU]), [2 * n + 2 * nu], 'adam');
        const soft = gpu.tensor([rows, cols], 'f32', 'soft');
        const dWt = gpu.upload(dW, [rows, cols], 'dW');
        tqStep(gpu, L, dWt, adam, soft, o);

        const g = tqGradRef(ref, dW);
        const v = Float64Array.from(ref.v),
          u = Float64Array.from(ref.u);
        const adamOpts = { beta1: o.beta1, beta2: o.beta2, eps: o.eps, step };
        adamStepRef(v, g.dv, mV, vV, { ...adamOpts, lr: o.lr, weightDecay: 0 });
        adamStepRef(u, g.du, mU, vU, { ...adamOpts, lr: o.scaleLr, weightDecay: o.scaleWeightDecay });
        const wantSoft = tqSoftWeightRef({ ...ref, v, u });

        assertClose(`${name} v`, await L.v.readF32(), v, 1e-5);
        assertClose(`${name} u`, await L.u.readF32(), u, 1e-5);
        const a = await adam.readF32();
        assertClose(`${name} m_v`, a.subarray(0, n), mV, 1e-5);
        assertClose(`${name} v_v`, a.subarray(n, 2 * n), vV, 1e-5);
        assertClose(`${name} m_u`, a.subarray(2 * n, 2 * n + nu), mU, 1e-5);
        assertClose(`${name} v_u`, a.subarray(2 * n + nu), vU, 1e-5);
        assertClose(`${name} soft weight`, await soft.readF32(), wantSoft, 1e-5);
        releaseTqLinear(L);
        [w, adam, soft, dWt].forEach((t) => t.release());
      }
    }
  },
  async 'dŴ times a power of two with gradScale undoing it: the same v, u, moments and soft weight bits'(gpu) {
    const { rows, cols, spec } = SHAPES[0];
    const ref = randomTqState(randn(rows * cols, 9), rows, cols, spec, 4);
    const dW = Float32Array.from(randn(rows * cols, 10), (v) => Math.fround(v * 1e-5));
    const run = async (scale: number) => {
      const w = gpu.upload(Float32Array.from(ref.w), [rows, cols], 'w');
      const L = tqFromValues(gpu, w, spec, ref);
      const adam = tqAdamState(gpu, L);
      const soft = gpu.tensor([rows, cols], 'f32', 'soft');
      const dWt = gpu.upload(
        dW.map((v) => v * scale),
        [rows, cols],
        'dW',
      );
      for (let step = 1; step <= 3; step++) {
        const o: TqStepOptions = { step, lr: 1e-2, scaleLr: 2e-3, scaleWeightDecay: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, gradScale: 1 / scale };
        tqStep(gpu, L, dWt, adam, soft, o);
      }
      const out = { v: await L.v.readF32(), u: await L.u.readF32(), adam: await adam.readF32(), soft: await soft.readF32() };
      releaseTqLinear(L);
      [w, adam, soft, dWt].forEach((t) => t.release());
      return out;
    };
    const plain = await run(1);
    const scaled = await run(512);
    if (plain.v.every((v, i) => v === Math.fround(ref.v[i]))) throw new Error('v did not move: the check would prove nothing');
    for (const key of ['v', 'u', 'adam', 'soft'] as const) assertSameBits(`dŴ x 512: ${key}`, scaled[key], plain[key]);
  },
};
