// TesseraQ from AWQ (the paper's recommended initialisation), and TEQ followed by TesseraQ:
// TEQ's scales are trained and folded first, then TesseraQ runs on the folded model (with the
// usual AWQ initialisation on top, whose grid includes the identity, and its clip search).
import { runTeq } from './teq';
import { runTesseraqWithInit, awqInit } from './tesseraq';
import { withOverrides } from './quantized-model';
import type { MethodContext } from './method-context';

export async function runTesseraq(ctx: MethodContext): Promise<void> {
  await runTesseraqWithInit(ctx, awqInit);
}

/**
 * TEQ, then TesseraQ on the TEQ-folded model. TEQ's overrides are kept as ctx.baseOverrides (in
 * checkpoints too): a resumed run that has them skips TEQ and continues TesseraQ's blocks.
 */
export async function runTeqThenTesseraq(ctx: MethodContext): Promise<void> {
  if (!ctx.baseOverrides) {
    const t0 = performance.now();
    // TesseraQ reconstructs the outputs of the model it is given: TEQ's transform must keep the
    // function (scales only), so AWQ's clipped weights are not carried into it.
    await runTeq(ctx.config.teqInit === 'awq-clip' ? { ...ctx, config: { ...ctx.config, teqInit: 'awq' } } : ctx);
    ctx.seconds.teq = (performance.now() - t0) / 1000;
    ctx.baseOverrides = new Map(ctx.overrides);
    // TEQ's own codes are replaced block by block; its checkpoint state does not apply to TesseraQ.
    ctx.linears.clear();
    ctx.startBlock = 0;
    ctx.resumeProgress = undefined;
    await ctx.onPhaseDone?.();
  }
  // Shares ctx's linears and overrides, so checkpoints taken through ctx see TesseraQ's blocks.
  await runTesseraqWithInit({ ...ctx, source: withOverrides(ctx.source, ctx.baseOverrides) }, awqInit);
}
