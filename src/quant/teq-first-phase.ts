// The first phase of TEQ then TesseraQ and TEQ then GPTQ: TEQ's scales trained and folded, kept as
// ctx.baseOverrides (in checkpoints too), so a resumed run that has them skips TEQ.
import { runTeq } from './teq';
import type { MethodContext } from './method-context';

/** The folded model's overrides (ctx.baseOverrides), from the checkpoint or from TEQ run now. */
export async function runTeqFirstPhase(ctx: MethodContext): Promise<Map<string, Float32Array>> {
  if (ctx.baseOverrides) return ctx.baseOverrides;
  const t0 = performance.now();
  // The second method reconstructs the outputs of the model it is given: TEQ's transform must keep
  // the function (scales only), so AWQ's clipped weights are not carried into it.
  await runTeq(ctx.config.teqInit === 'awq-clip' ? { ...ctx, config: { ...ctx.config, teqInit: 'awq' } } : ctx);
  ctx.seconds.teq = (performance.now() - t0) / 1000;
  const base = new Map(ctx.overrides);
  ctx.baseOverrides = base;
  // TEQ's own codes are replaced block by block; its checkpoint state does not apply to the second method.
  ctx.linears.clear();
  ctx.startBlock = 0;
  ctx.resumeProgress = undefined;
  await ctx.onPhaseDone?.();
  return base;
}
