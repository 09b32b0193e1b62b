// Forward through consecutive blocks keeping each block's activations for a backward through all of
// them (TEQ's LM steps). Every block but the last leaves its output as x1 + r for the next block's
// first norm to add in its own pass (blockForwardDeferred): the same f32 sum, one dispatch fewer a block.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import type { BlockWeights } from './block-weights';
import { blockForward, blockForwardDeferred, type BatchShape, type BlockActivations, type PendingOutput } from './block';

/** Blocks 0..count-1 (weights from `block`) on x: the last block's output and every block's activations (x is block 0's input). */
export function blocksForward(
  gpu: Gpu,
  cfg: ModelConfig,
  block: (b: number) => BlockWeights,
  x: Tensor,
  shape: BatchShape,
  count: number,
): { h: Tensor; saved: BlockActivations[] } {
  const saved: BlockActivations[] = [];
  let h: Tensor | PendingOutput = x;
  if (cfg.postNorm) {
    // a post-norm block's output is its own norm's: nothing is left for the next block to add
    for (let b = 0; b < count; b++) {
      const { y, acts } = blockForward(gpu, cfg, block(b), h, shape, true);
      saved.push(acts!);
      h = y;
    }
    return { h, saved };
  }
  for (let b = 0; b + 1 < count; b++) {
    const { out, acts } = blockForwardDeferred(gpu, cfg, block(b), h, shape);
    saved.push(acts);
    h = out;
  }
  const { y, acts } = blockForward(gpu, cfg, block(count - 1), h, shape, true);
  saved.push(acts!);
  return { h: y, saved };
}
