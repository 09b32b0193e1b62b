// Perplexity on WebGPU: windows are batched so that activations and logits stay within a memory
// budget; per-token losses are read back once per batch and summed in float64.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../core/model-config';
import { embedTokens, logitsOf, type BlockProvider, type ModelGlobals } from '../model/gpu-model';
import { blockForward, type BatchShape } from '../model/block';
import type { Tensor } from '../gpu/tensor';
import { crossEntropy } from '../ops/cross-entropy';
import { CancelledError } from '../gpu/errors';
import { perplexityOf } from './ppl-result';
import { evaluationWindows } from './windows';
import { nextTokenTargets } from '../ops/cross-entropy';
import { withF32 } from '../ops/precision';

export interface PerplexityOptions {
  windowLen: number;
  /** 0 = all windows. */
  windows: number;
  /** Bytes of logits/activations per batch; windows are grouped to stay under it. */
  budgetBytes?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface PerplexityResult {
  ppl: number;
  meanNll: number;
  scoredTokens: number;
  windows: number;
  /** Mean negative log-likelihood of each window, in window order (for intervals and paired comparisons). */
  windowNll: number[];
}

export function windowsPerBatch(cfg: ModelConfig, windowLen: number, budgetBytes: number): number {
  const widest = Math.max(cfg.vocab, cfg.intermediate, 3 * cfg.hidden);
  return Math.max(1, Math.floor(budgetBytes / (windowLen * widest * 4)));
}

/** Windows that go through the blocks together: whole batches whose hidden states fit twice the budget. */
export function windowsPerChunk(cfg: ModelConfig, windowLen: number, budgetBytes: number, perBatch: number): number {
  return Math.max(perBatch, Math.floor((2 * budgetBytes) / (windowLen * cfg.hidden * 4 * perBatch)) * perBatch);
}

/**
 * Windows go through the model layer by layer: every window of a chunk passes block b before block
 * b+1 is fetched, so a streamed model (blocks uploaded from the CPU one at a time) uploads each
 * block once per chunk rather than once per batch of windows. A chunk's hidden states stay within
 * twice the batch budget; the logits are formed a batch at a time.
 * Every product f32 under the precision policy (ops/precision.ts withF32): the number measures the
 * model, the same on every device, not the engine's precision.
 */
export function perplexity(
  gpu: Gpu,
  cfg: ModelConfig,
  globals: ModelGlobals,
  blocks: BlockProvider,
  tokens: ArrayLike<number>,
  opts: PerplexityOptions,
): Promise<PerplexityResult> {
  return withF32(gpu, () => perplexityOfWindows(gpu, cfg, globals, blocks, tokens, opts));
}

async function perplexityOfWindows(
  gpu: Gpu,
  cfg: ModelConfig,
  globals: ModelGlobals,
  blocks: BlockProvider,
  tokens: ArrayLike<number>,
  opts: PerplexityOptions,
): Promise<PerplexityResult> {
  const windows = evaluationWindows(tokens, opts.windowLen, opts.windows);
  if (!windows.length) throw new Error(`the evaluation text has ${tokens.length} tokens, fewer than one window of ${opts.windowLen}`);
  const budget = opts.budgetBytes ?? 32 << 20;
  const perBatch = Math.min(windows.length, windowsPerBatch(cfg, opts.windowLen, budget));
  const perChunk = windowsPerChunk(cfg, opts.windowLen, budget, perBatch);
  let nll = 0;
  let scored = 0;
  let nonFinite = 0;
  const windowNll: number[] = [];
  for (let chunkStart = 0; chunkStart < windows.length; chunkStart += perChunk) {
    const chunk = windows.slice(chunkStart, chunkStart + perChunk);
    const batches: { ids: Uint32Array; shape: BatchShape; h: Tensor }[] = [];
    try {
      for (let start = 0; start < chunk.length; start += perBatch) {
        const group = chunk.slice(start, start + perBatch);
        const ids = new Uint32Array(group.length * opts.windowLen);
        group.forEach((w, i) => ids.set(w, i * opts.windowLen));
        const shape = { batch: group.length, seqLen: opts.windowLen };
        batches.push({ ids, shape, h: embedTokens(gpu, globals, ids, shape) });
      }
      for (let b = 0; b < cfg.layers; b++) {
        if (opts.signal?.aborted) throw new CancelledError('Perplexity evaluation');
        const w = await blocks.get(b);
        for (const batch of batches) {
          const { y } = blockForward(gpu, cfg, w, batch.h, batch.shape);
          batch.h.release();
          batch.h = y;
        }
        blocks.done(b);
        opts.onProgress?.(chunkStart + Math.floor((chunk.length * (b + 1)) / (cfg.layers + 1)), windows.length);
      }
      for (const batch of batches) {
        const logits = logitsOf(gpu, cfg, globals, batch.h);
        const targets = gpu.upload(nextTokenTargets(batch.ids, opts.windowLen), [batch.ids.length], 'targets');
        const ce = crossEntropy(gpu, logits, targets);
        [logits, targets, ce.lse].forEach((t) => t.release());
        const losses = await ce.loss.readF32();
        ce.loss.release();
        let windowSum = 0;
        for (let i = 0; i < losses.length; i++) {
          if ((i + 1) % opts.windowLen === 0) {
            windowNll.push(windowSum / (opts.windowLen - 1));
            windowSum = 0;
            continue;
          }
          nll += losses[i];
          windowSum += losses[i];
          scored++;
          if (!Number.isFinite(losses[i])) nonFinite++;
        }
      }
    } finally {
      for (const batch of batches) batch.h.release();
    }
    opts.onProgress?.(Math.min(windows.length, chunkStart + perChunk), windows.length);
  }
  const ppl = perplexityOf(nll, scored, nonFinite);
  return { ppl, meanNll: nll / scored, scoredTokens: scored, windows: windows.length, windowNll };
}
