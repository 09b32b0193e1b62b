// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { crossEntropy, crossEntropyBackward, IGNORE_TARGET } from './cross-entropy';
import { crossEntropyBackwardRef, crossEntropyRef } from '../reference/cross-entropy';
import { mulberry32, randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

function makeTargets(tokens: number, vocab: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  return Uint32Array.from({ length: tokens }, (_, t) => (t % 5 === 3 ? IGNORE_TARGET : Math.floor(r() * vocab)));
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'forward and backward on odd shapes with ignored targets'(gpu) {
    for (const [t, v] of [
      [1, 1],
      [9, 257],
      [37, 19],
      [4, 20_011],
    ]) {
      const logits = randn(t * v, t + v, 3),
        targets = makeTargets(t, v, v);
      const tl = gpu.upload(logits, [t, v]),
        tt = gpu.upload(targets, [t]);
      const ref = crossEntropyRef(logits, t, v, targets);
      const { loss, lse } = crossEntropy(gpu, tl, tt);
      assertClose(`loss [${t},${v}]`, await loss.readF32(), ref.loss, 1e-5);
      assertClose(`lse [${t},${v}]`, await lse.readF32(), ref.lse, 1e-5);
      const d = crossEntropyBackward(gpu, tl, tt, lse, 0.25);
      assertClose(`dlogits [${t},${v}]`, await d.readF32(), crossEntropyBackwardRef(logits, t, v, targets, ref.lse, 0.25), 1e-5);
    }
  },
  async 'backward over more than 65535 tokens (the flat-grid variant)'(gpu) {
    // The forward is not run here: 70001 one-row workgroups take minutes on SwiftShader.
    const [t, v] = [70_001, 3];
    const logits = randn(t * v, 91, 2),
      targets = makeTargets(t, v, 92);
    const tl = gpu.upload(logits, [t, v]),
      tt = gpu.upload(targets, [t]);
    const ref = crossEntropyRef(logits, t, v, targets);
    const lse = gpu.upload(Float32Array.from(ref.lse), [t]);
    const d = crossEntropyBackward(gpu, tl, tt, lse, 0.5);
    assertClose('dlogits 70001 tokens', await d.readF32(), crossEntropyBackwardRef(logits, t, v, targets, ref.lse, 0.5), 1e-5);
  },
  async 'backward in place over the logits'(gpu) {
    const [t, v] = [6, 1001];
    const logits = randn(t * v, 77, 2),
      targets = makeTargets(t, v, 78);
    const tl = gpu.upload(logits, [t, v]),
      tt = gpu.upload(targets, [t]);
    const { lse } = crossEntropy(gpu, tl, tt);
    const d = crossEntropyBackward(gpu, tl, tt, lse, 1 / 5, tl);
    if (d !== tl) throw new Error('in-place backward did not return the logits tensor');
    const ref = crossEntropyRef(logits, t, v, targets);
    assertClose('dlogits in place', await tl.readF32(), crossEntropyBackwardRef(logits, t, v, targets, ref.lse, 1 / 5), 1e-5);
  },
  async 'a confident correct prediction keeps its small loss precise'(gpu) {
    const v = 50;
    const logits = new Float32Array(v).fill(-10);
    logits[7] = 12;
    const ref = crossEntropyRef(logits, 1, v, [7]);
    const { loss } = crossEntropy(gpu, gpu.upload(logits, [1, v]), gpu.upload(Uint32Array.of(7), [1]));
    assertClose('tiny loss', await loss.readF32(), ref.loss, 1e-5);
  },
};
