// The mean next-token loss of each of a few calibration windows under a model given block by block,
// and their mean as a held-out score:
// TEQ's held-out score (src/quant/teq.ts) and TEQ then GPTQ's check against GPTQ alone
// (src/quant/gptq-methods.ts). Every product f32 (ops/precision.ts withF32): these scores choose
// between models whose losses can differ by less than f16 products would move them.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../core/model-config';
import { blockForward, type BatchShape } from '../model/block';
import { embedTokens, logitsOf, type BlockProvider, type ModelGlobals } from '../model/gpu-model';
import { crossEntropy, nextTokenTargets } from '../ops/cross-entropy';
import { sumInto } from '../ops/mse-grad';
import { withF32 } from '../ops/precision';

/**
 * Each window of `ids` (consecutive windows of seqLen tokens) goes alone through the blocks, block
 * by block (a streamed provider loads each block once); the result holds each window's loss over
 * its positions 1..seqLen-1.
 */
function windowLosses(gpu: Gpu, cfg: ModelConfig, globals: ModelGlobals, ids: Uint32Array, seqLen: number, blocks: BlockProvider): Promise<Float32Array> {
  return withF32(gpu, async () => {
    const count = ids.length / seqLen;
    const shape: BatchShape = { batch: 1, seqLen };
    const window = (i: number) => ids.subarray(i * seqLen, (i + 1) * seqLen);
    let hs = Array.from({ length: count }, (_, i) => embedTokens(gpu, globals, window(i), shape));
    for (let b = 0; b < cfg.layers; b++) {
      const w = await blocks.get(b);
      hs = hs.map((h) => {
        const y = blockForward(gpu, cfg, w, h, shape).y;
        h.release();
        return y;
      });
      blocks.done(b);
      gpu.flush();
    }
    const out = gpu.zeros([Math.max(1, count)], 'window-losses');
    hs.forEach((h, i) => {
      const targets = gpu.upload(nextTokenTargets(window(i), seqLen), [seqLen], 'targets');
      const logits = logitsOf(gpu, cfg, globals, h);
      const ce = crossEntropy(gpu, logits, targets);
      sumInto(gpu, ce.loss, { scale: 1 / (seqLen - 1), into: out, slot: i });
      [logits, targets, ce.loss, ce.lse, h].forEach((t) => t.release());
    });
    const values = (await out.readF32()).slice(0, count);
    out.release();
    return values;
  });
}

/** windowLosses and their mean, rounded to f32 (so a checkpoint holds it exactly). */
export async function heldOutScore(
  gpu: Gpu,
  cfg: ModelConfig,
  globals: ModelGlobals,
  ids: Uint32Array,
  seqLen: number,
  blocks: BlockProvider,
): Promise<{ loss: number; windows: Float32Array }> {
  const windows = await windowLosses(gpu, cfg, globals, ids, seqLen, blocks);
  let sum = 0;
  for (const v of windows) sum += v;
  return { loss: Math.fround(sum / windows.length), windows };
}
