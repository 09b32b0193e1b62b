// The block-by-block drivers of GPTQ, AWQ then GPTQ, and TEQ then GPTQ. Each block's calibration
// input comes from the quantized chain (the blocks before it as they were quantized), as in
// AutoGPTQ; inside the block the sets are quantized true-sequentially (src/quant/gptq.ts).
import { chainForward, chainInput } from './chains';
import { loadBlockWeights, releaseBlockWeights } from '../model/block-weights';
import { awqBlock } from './awq';
import { readBlockOverrides } from './transformed';
import { runTeqFirstPhase } from './teq-first-phase';
import { withOverrides } from './quantized-model';
import { gptqBlock, gptqSets, type GptqBlockReport, type GptqOptions } from './gptq';
import { checkCancelled, type MethodContext } from './method-context';
import type { RunConfig } from '../core/run-types';

export function gptqOptions(config: RunConfig): GptqOptions {
  return { dampPercent: config.gptqDamp, actOrder: config.gptqActOrder, blockSize: config.gptqBlockSize };
}

/**
 * GPTQ over the blocks from ctx.startBlock. With `awqScales`, each block first gets AWQ's scales
 * (searched on the same quantized-chain input, no clipping: GPTQ's error feedback takes the
 * clip's place), and the scaled full-precision tensors are kept as overrides.
 */
async function runGptqBlocks(ctx: MethodContext, opts: { awqScales: boolean; phase: string }): Promise<void> {
  const { gpu, cfg, spec } = ctx;
  const gopts = gptqOptions(ctx.config);
  const start = ctx.startBlock ?? 0;
  const sets = gptqSets(cfg).length;
  const total = cfg.layers * sets;
  const details = (ctx.details.gptq ??= { actOrder: gopts.actOrder, dampPercent: gopts.dampPercent, blockSize: gopts.blockSize, blocks: [] }) as {
    blocks: GptqBlockReport[];
  };
  const awqReports = opts.awqScales ? ((ctx.details.awq ??= []) as unknown[]) : null;
  let x = await chainInput(ctx, 'quantized', start);
  try {
    for (let b = start; b < cfg.layers; b++) {
      checkCancelled(ctx);
      const w = await loadBlockWeights(gpu, ctx.source, b);
      try {
        if (awqReports) {
          const r = await awqBlock(gpu, cfg, w, x, ctx.calibShape, spec, { clip: false });
          awqReports.push({ block: b, subsets: r.subsets.map((s) => ({ name: s.name, ratio: s.ratio, losses: s.losses, scales: Array.from(s.scales) })) });
          for (const s of r.subsets) ctx.emit({ type: 'scales', block: b, group: s.name, values: Array.from(s.scales) });
          await readBlockOverrides(cfg, w, ctx.overrides);
        }
        const { linears, report } = await gptqBlock(gpu, cfg, w, x, ctx.calibShape, spec, gopts, (set) => {
          checkCancelled(ctx);
          ctx.emit({ type: 'progress', phase: opts.phase, done: b * sets + set, total });
        });
        for (const q of linears) ctx.linears.set(q.name, q);
        details.blocks.push(report);
        // The block now holds its dequantized weights: its output is the next block's quantized-chain input.
        const y = chainForward(gpu, cfg, w, x, ctx.calibShape);
        x.release();
        x = y;
      } finally {
        releaseBlockWeights(w);
      }
      ctx.emit({ type: 'log', message: `GPTQ block ${b}: ${report(details.blocks[details.blocks.length - 1])}` });
      await ctx.onBlockDone?.(b);
    }
  } finally {
    x.release();
  }
}

function report(r: GptqBlockReport): string {
  const mean = (k: 'relErrRtn' | 'relErrGptq') => r.layers.reduce((a, l) => a + l[k], 0) / Math.max(1, r.layers.length);
  return `mean relative output error ${mean('relErrGptq').toExponential(2)} (round-to-nearest ${mean('relErrRtn').toExponential(2)})`;
}

export async function runGptq(ctx: MethodContext): Promise<void> {
  await runGptqBlocks(ctx, { awqScales: false, phase: 'gptq' });
}

export async function runAwqThenGptq(ctx: MethodContext): Promise<void> {
  await runGptqBlocks(ctx, { awqScales: true, phase: 'awq+gptq' });
}

/**
 * TEQ (with the run's TEQ settings), then GPTQ on the TEQ-folded model. TEQ's overrides are kept
 * as ctx.baseOverrides: a run that already has them skips TEQ.
 */
export async function runTeqThenGptq(ctx: MethodContext): Promise<void> {
  const base = await runTeqFirstPhase(ctx);
  const t0 = performance.now();
  await runGptqBlocks({ ...ctx, source: withOverrides(ctx.source, base) }, { awqScales: false, phase: 'teq+gptq' });
  ctx.seconds.gptq = (performance.now() - t0) / 1000;
}
