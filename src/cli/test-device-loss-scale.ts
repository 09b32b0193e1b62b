// `npm run test:device`, loss scaling (ops/precision.ts lossGradientScale): a mean loss's output
// gradients are small (stories260K's last hidden state: a median of 6e-5, a tenth under 3e-7), and
// their f16 copies keep few bits below f16's smallest normal (6.1e-5) or none where the device
// flushes subnormals. A SmolLM2-135M-shaped block's backward on the tensor cores from such gradients,
// against the f32 path: as they are, and multiplied by the scale a 512-token mean gets (divided
// back after). Scaled, every gradient must be as close to the f32 path as a block's with gradients
// of ordinary size (under 1e-2, as test-device-producers.ts's block case), and closer than unscaled.
import type { Gpu } from '../gpu/gpu';
import { lossGradientScale, setHalfLinears } from '../ops/precision';
import { blockBackward, blockForward, releaseActivations } from '../model/block';
import { mulberry32 } from '../reference/rng';
import { blockTensors, randomBlock, shapeConfig, up, worstRelativeL2, type ProducerResult } from './test-device-producers';

const rand = mulberry32(24680);

/** Output gradients of a mean loss: signs at random, magnitudes log-uniform from 1e-7 to 1e-3. */
function meanLossGradient(n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * 10 ** (-7 + 4 * rand()));
}

export async function lossScaleCase(gpu: Gpu): Promise<ProducerResult> {
  const cfg = shapeConfig('smollm2-135m');
  const w = randomBlock(gpu, cfg);
  const shape = { batch: 1, seqLen: 512 };
  const x = up(gpu, [512, cfg.hidden]);
  const dy = meanLossGradient(512 * cfg.hidden);
  const scale = lossGradientScale(512);
  /** dx and every dW from dy·s, divided by s (exact: a power of two), as f32 bits. */
  const gradients = async (half: boolean, s: number) => {
    setHalfLinears(gpu, half, undefined, true);
    gpu.copies.clear();
    const d = gpu.upload(
      dy.map((v) => v * s),
      [512, cfg.hidden],
      'dy',
    );
    const { y, acts } = blockForward(gpu, cfg, w, x, shape, true);
    const g = blockBackward(gpu, cfg, w, acts!, d, shape);
    const outs = [g.dx, ...Object.values(g.dW).map((t) => t!)];
    const bits = await Promise.all(outs.map(async (t) => new Uint32Array((await t.readF32()).map((v) => v / s).buffer)));
    releaseActivations(acts!);
    [y, d, ...outs].forEach((t) => t.release());
    setHalfLinears(gpu, false);
    return bits;
  };
  const f32 = await gradients(false, 1);
  const unscaled = worstRelativeL2(await gradients(true, 1), f32);
  const scaled = worstRelativeL2(await gradients(true, scale), f32);
  [x, ...blockTensors(w)].forEach((t) => t.release());
  return {
    name: `SmolLM2-135M block 1x512 backward from a mean loss's gradients (1e-7 to 1e-3), unscaled and scaled by ${scale}`,
    checked: 512 * cfg.hidden,
    ok: scaled < 1e-2 && scaled < unscaled,
    note: `worst relative L2 error of dx and the dW against the f32 path: unscaled ${unscaled.toExponential(2)}, scaled ${scaled.toExponential(2)}`,
  };
}
