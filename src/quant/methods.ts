// The block-by-block drivers of RTN and AWQ. Each leaves ctx.linears (codes) and ctx.overrides
// (transformed fp tensors) filled in.
import { chainForward, chainInput } from './chains';
import { loadBlockWeights, releaseBlockWeights } from '../model/block-weights';
import { quantizeBlockRtn } from './rtn';
import { awqBlock, type AwqBlockReport } from './awq';
import { readBlockOverrides } from './transformed';
import { checkCancelled, type MethodContext } from './method-context';

export async function runRtn(ctx: MethodContext): Promise<void> {
  for (let b = ctx.startBlock ?? 0; b < ctx.cfg.layers; b++) {
    checkCancelled(ctx);
    const w = await loadBlockWeights(ctx.gpu, ctx.source, b);
    for (const q of await quantizeBlockRtn(ctx.gpu, ctx.cfg, w, ctx.spec)) ctx.linears.set(q.name, q);
    releaseBlockWeights(w);
    ctx.emit({ type: 'progress', phase: 'rtn', done: b + 1, total: ctx.cfg.layers });
    await ctx.onBlockDone?.(b);
  }
}

/**
 * AWQ block by block. Each block's calibration input is the previous block's full-precision output,
 * taken before AWQ transforms it (the scales leave it unchanged; the clipping would not), as
 * llm-awq's run_awq computes the next input before its search: with the same windows this
 * reproduces the reference's AWQ to every printed digit (README, GPTQ section).
 */
export async function runAwq(ctx: MethodContext): Promise<void> {
  const { gpu, cfg } = ctx;
  let x = await chainInput(ctx, 'fp', ctx.startBlock ?? 0);
  const reports = (ctx.details.awq ??= []) as ReturnType<typeof reportOf>[];
  for (let b = ctx.startBlock ?? 0; b < cfg.layers; b++) {
    checkCancelled(ctx);
    const w = await loadBlockWeights(gpu, ctx.source, b);
    const y = chainForward(gpu, cfg, w, x, ctx.calibShape);
    const report = await awqBlock(gpu, cfg, w, x, ctx.calibShape, ctx.spec, { clip: true, signal: ctx.signal });
    reports.push(reportOf(b, report));
    for (const s of report.subsets) ctx.emit({ type: 'scales', block: b, group: s.name, values: Array.from(s.scales) });
    await readBlockOverrides(cfg, w, ctx.overrides);
    for (const q of await quantizeBlockRtn(gpu, cfg, w, ctx.spec)) ctx.linears.set(q.name, q);
    x.release();
    x = y;
    releaseBlockWeights(w);
    ctx.emit({ type: 'progress', phase: 'awq', done: b + 1, total: cfg.layers });
    await ctx.onBlockDone?.(b);
  }
  x.release();
}

function reportOf(block: number, r: AwqBlockReport) {
  return { block, subsets: r.subsets.map((s) => ({ name: s.name, ratio: s.ratio, losses: s.losses, scales: Array.from(s.scales) })) };
}
