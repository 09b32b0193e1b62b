// TesseraQ from AWQ (the paper's recommended initialisation), and TEQ followed by TesseraQ:
// TEQ's scales are trained and folded first, then TesseraQ runs on the folded model (with the
// usual AWQ initialisation on top, whose grid includes the identity, and its clip search).
import { runTeqFirstPhase } from './teq-first-phase';
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
  const base = await runTeqFirstPhase(ctx);
  // Shares ctx's linears and overrides, so checkpoints taken through ctx see TesseraQ's blocks.
  await runTesseraqWithInit({ ...ctx, source: withOverrides(ctx.source, base) }, awqInit);
}
