// Loss scaling (ops/precision.ts lossGradientScale) keeps the f32 path's bits: TEQ's steps with the
// output gradient multiplied by a power of two and the update dividing it back give the same α and
// Adam moments, bit for bit, as unscaled steps (the block's backward, the dα contributions, their
// column sums and Adam all scale exactly); so do TesseraQ's fused steps (src/ops/tesseraq-step.gpu-test.ts).
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { loadBlockWeights, releaseBlockWeights } from '../model/block-weights';
import { blockBackward, blockForward, releaseActivations } from '../model/block';
import { TeqTrainer } from './teq-trainer';
import { lossGradientScale } from '../ops/precision';
import { randn } from '../reference/rng';
import { assertSameBits } from '../reference/compare';

/** Three TEQ steps of tiny-llama's block 0 on fixed x and dy·scale, the update dividing by scale: α and its moments. */
async function teqSteps(gpu: Gpu, scale: number): Promise<Record<string, Float32Array>> {
  const m = randomModel('tiny-llama', 3);
  const cfg = m.weights.config;
  const shape = { batch: 2, seqLen: 9 };
  const T = shape.batch * shape.seqLen;
  const w = await loadBlockWeights(gpu, m.weights, 0);
  const x = gpu.upload(Float32Array.from(randn(T * cfg.hidden, 5)), [T, cfg.hidden], 'x');
  // a mean loss's small gradients (around 1e-5, where f16 keeps few bits), times the scale: exact in f32
  const dy = gpu.upload(
    Float32Array.from(randn(T * cfg.hidden, 6), (v) => Math.fround(v * 1e-5) * scale),
    [T, cfg.hidden],
    'dy',
  );
  const trainer = new TeqTrainer(gpu, cfg, [w], { bits: 3, groupSize: 16, symmetric: false });
  for (let step = 1; step <= 3; step++) {
    trainer.refresh(T);
    const eff = trainer.effectiveBlock(0);
    const { y, acts } = blockForward(gpu, cfg, eff, x, shape, true);
    const g = blockBackward(gpu, cfg, eff, acts!, dy, shape, trainer.trainedRoles(0));
    trainer.contribute(0, g.dW, 'ste-round');
    trainer.update(1e-2, step, 1 / scale);
    [y, g.dx, ...Object.values(g.dW).map((t) => t!)].forEach((t) => t.release());
    releaseActivations(acts!);
  }
  const state = await trainer.readState();
  trainer.release();
  releaseBlockWeights(w);
  [x, dy].forEach((t) => t.release());
  return state;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'TEQ steps with the loss gradient scaled by a power of two and the update undoing it: the same bits'(gpu) {
    const plain = await teqSteps(gpu, 1);
    const scale = lossGradientScale(511);
    if (scale !== 512) throw new Error(`lossGradientScale(511) is ${scale}, not 512`);
    const scaled = await teqSteps(gpu, scale);
    if (plain.alpha.every((a) => a === 1)) throw new Error('α did not move: the check would prove nothing');
    for (const key of Object.keys(plain)) assertSameBits(`scaled by ${scale}: ${key}`, scaled[key], plain[key]);
  },
};
