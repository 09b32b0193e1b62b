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

export async function runTeqThenTesseraq(ctx: MethodContext): Promise<void> {
  const t0 = performance.now();
  await runTeq(ctx);
  ctx.seconds.teq = (performance.now() - t0) / 1000;
  const folded: MethodContext = {
    ...ctx,
    source: withOverrides(ctx.source, ctx.overrides),
    overrides: new Map(ctx.overrides),
    linears: new Map(),
  };
  await runTesseraqWithInit(folded, awqInit);
  ctx.linears.clear();
  for (const [k, v] of folded.linears) ctx.linears.set(k, v);
  for (const [k, v] of folded.overrides) ctx.overrides.set(k, v);
}
