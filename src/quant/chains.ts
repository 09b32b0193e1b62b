// The calibration activations entering block k, rebuilt from what a checkpoint stores, so a
// resumed run continues exactly where it stopped: the quantized chain through the stored codes,
// the transformed full-precision chain through the stored overrides, the fp chain through the source.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import { blockForward, type BatchShape } from '../model/block';
import type { BlockWeights } from '../model/block-weights';
import { withF32 } from '../ops/precision';
import { embedTokens, SourceBlocks, type BlockProvider } from '../model/gpu-model';
import { QuantizedBlocks, withOverrides } from './quantized-model';
import type { MethodContext } from './method-context';

export type ChainKind = 'quantized' | 'transformed' | 'fp';

function provider(ctx: MethodContext, kind: ChainKind): BlockProvider & { release(): void } {
  if (kind === 'quantized')
    return new QuantizedBlocks(ctx.gpu, ctx.source, { config: ctx.cfg, spec: ctx.spec, linears: ctx.linears, overrides: ctx.overrides }, false);
  if (kind === 'transformed') return new SourceBlocks(ctx.gpu, withOverrides(ctx.source, ctx.overrides), false);
  return new SourceBlocks(ctx.gpu, ctx.source, false);
}

/**
 * One block's output over the calibration set where it is data for what follows: the next block's
 * calibration input or a training target. f32 under the precision policy (ops/precision.ts
 * withF32): an f16 rounding here would be carried, unaveraged, into every later block's statistics.
 */
export function chainForward(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, x: Tensor, shape: BatchShape): Tensor {
  return withF32(gpu, () => blockForward(gpu, cfg, w, x, shape).y);
}

/** Calibration activations after blocks 0..k-1 of the given chain (the embeddings when k = 0). */
export async function chainInput(ctx: MethodContext, kind: ChainKind, k: number): Promise<Tensor> {
  let x = embedTokens(ctx.gpu, ctx.globals, ctx.calibIds, ctx.calibShape);
  if (k === 0) return x;
  const blocks = provider(ctx, kind);
  try {
    for (let b = 0; b < k; b++) {
      const y = chainForward(ctx.gpu, ctx.cfg, await blocks.get(b), x, ctx.calibShape);
      x.release();
      x = y;
      blocks.done(b);
    }
  } finally {
    blocks.release();
  }
  return x;
}
