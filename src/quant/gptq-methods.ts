// The block-by-block drivers of GPTQ, AWQ then GPTQ, and TEQ then GPTQ. Each block's calibration
// input comes from the quantized chain (the blocks before it as they were quantized), as in
// AutoGPTQ; inside the block the sets are quantized true-sequentially (src/quant/gptq.ts).
import { chainForward, chainInput } from './chains';
import { loadBlockWeights, releaseBlockWeights } from '../model/block-weights';
import { awqBlock } from './awq';
import { readBlockOverrides } from './transformed';
import { runTeqFirstPhase } from './teq-first-phase';
import { QuantizedBlocks, withOverrides } from './quantized-model';
import { clearlyLower, pairedGain, teqHoldoutWindows } from './teq-holdout';
import { heldOutScore } from './window-losses';
import { gptqBlock, gptqSets, type GptqBlockReport, type GptqOptions } from './gptq';
import { checkCancelled, type MethodContext } from './method-context';
import type { RunConfig } from '../core/run-types';
import type { QuantizedLinear } from '../core/quant-spec';

export function gptqOptions(config: RunConfig): GptqOptions {
  return { dampPercent: config.gptqDamp, actOrder: config.gptqActOrder, blockSize: config.gptqBlockSize };
}

/**
 * GPTQ over the blocks from ctx.startBlock. With `awqScales`, each block first gets AWQ's scales
 * (searched on the same quantized-chain input, no clipping: GPTQ's error feedback takes the
 * clip's place), and the scaled full-precision tensors are kept as overrides.
 */
async function runGptqBlocks(
  ctx: MethodContext,
  opts: { awqScales: boolean; phase: string; passes?: { pass: number; of: number; detail?: string } },
): Promise<void> {
  const { gpu, cfg, spec } = ctx;
  const gopts = gptqOptions(ctx.config);
  const start = ctx.startBlock ?? 0;
  const sets = gptqSets(cfg).length;
  // With two passes (TEQ then GPTQ's check), the phase's progress runs once over both.
  const perPass = cfg.layers * sets;
  const total = perPass * (opts.passes?.of ?? 1);
  const offset = perPass * (opts.passes?.pass ?? 0);
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
          ctx.emit({ type: 'progress', phase: opts.phase, done: offset + b * sets + set, total, detail: opts.passes?.detail });
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
  // Only the LM loss holds windows out of TEQ's training (the block loss trains on all of them).
  const heldOut = ctx.config.teqLoss === 'lm' ? teqHoldoutWindows(ctx.calibShape.batch, ctx.config.teqHoldout ?? 0) : 0;
  await runGptqBlocks({ ...ctx, source: withOverrides(ctx.source, base) }, { awqScales: false, phase: 'teq+gptq', passes: { pass: 0, of: heldOut ? 2 : 1 } });
  if (heldOut) await keepTeqOnlyIfClearlyBetter(ctx, heldOut);
  ctx.seconds.gptq = (performance.now() - t0) / 1000;
}

/**
 * TEQ then GPTQ never ends worse than GPTQ alone on TEQ's held-out windows: GPTQ of the model
 * without TEQ's scales is scored there beside the run's result, and TEQ's scales stay only where
 * clearly better (the rule TEQ's own steps meet against its start, src/quant/teq-holdout.ts);
 * otherwise the run's codes become plain GPTQ's. Not checkpointed: an interrupted run redoes this
 * check after its last block, with the same result.
 */
async function keepTeqOnlyIfClearlyBetter(ctx: MethodContext, heldOut: number): Promise<void> {
  const { gpu, cfg, spec, calibShape } = ctx;
  ctx.emit({ type: 'log', message: `GPTQ again without TEQ's scales, to compare on the ${heldOut} held-out calibration windows.` });
  const plain = { linears: new Map<string, QuantizedLinear>(), overrides: new Map<string, Float32Array>(), details: {} as Record<string, unknown> };
  await runGptqBlocks(
    { ...ctx, ...plain, startBlock: 0, onBlockDone: undefined },
    { awqScales: false, phase: 'teq+gptq', passes: { pass: 1, of: 2, detail: "GPTQ without TEQ's scales, for the check" } },
  );
  const ids = ctx.calibIds.subarray((calibShape.batch - heldOut) * calibShape.seqLen);
  const score = async (m: { linears: Map<string, QuantizedLinear>; overrides: Map<string, Float32Array> }) => {
    const blocks = new QuantizedBlocks(gpu, ctx.source, { config: cfg, spec, linears: m.linears, overrides: m.overrides }, false);
    try {
      return await heldOutScore(gpu, cfg, ctx.globals, ids, calibShape.seqLen, blocks);
    } finally {
      blocks.release();
    }
  };
  const withTeq = await score(ctx);
  const withoutTeq = await score(plain);
  const keptTeq = clearlyLower(withTeq.loss, withTeq.windows, withoutTeq.loss, withoutTeq.windows);
  const z = pairedGain(withTeq.windows, withoutTeq.windows);
  ctx.details.teqGptq = { heldOutWindows: heldOut, withTeq: withTeq.loss, withoutTeq: withoutTeq.loss, keptTeq, ...(z !== undefined ? { z } : {}) };
  ctx.emit({
    type: 'log',
    message: `Held-out loss with TEQ's scales ${withTeq.loss.toFixed(5)}, without ${withoutTeq.loss.toFixed(5)}: ${keptTeq ? "TEQ's scales kept" : "GPTQ without TEQ's scales kept (TEQ's were not clearly better)"}.`,
  });
  if (keptTeq) return;
  ctx.linears.clear();
  for (const [name, q] of plain.linears) ctx.linears.set(name, q);
  ctx.overrides.clear();
  ctx.details.gptq = plain.details.gptq;
}
