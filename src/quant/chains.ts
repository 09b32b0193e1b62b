// The calibration activations entering block k, rebuilt from what a checkpoint stores, so a
// resumed run continues exactly where it stopped: the quantized chain through the stored codes,
// the transformed full-precision chain through the stored overrides, the fp chain through the source.
import type { Tensor } from '../gpu/tensor';
import { blockForward } from '../model/block';
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

/** Calibration activations after blocks 0..k-1 of the given chain (the embeddings when k = 0). */
export async function chainInput(ctx: MethodContext, kind: ChainKind, k: number): Promise<Tensor> {
  let x = embedTokens(ctx.gpu, ctx.globals, ctx.calibIds, ctx.calibShape);
  if (k === 0) return x;
  const blocks = provider(ctx, kind);
  try {
    for (let b = 0; b < k; b++) {
      const y = blockForward(ctx.gpu, ctx.cfg, await blocks.get(b), x, ctx.calibShape).y;
      x.release();
      x = y;
      blocks.done(b);
    }
  } finally {
    blocks.release();
  }
  return x;
}
