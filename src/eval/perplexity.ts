// Perplexity on WebGPU: windows are batched so that activations and logits stay within a memory
// budget; per-token losses are read back once per batch and summed in float64.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../model/config';
import { forwardLogits, type BlockProvider, type ModelGlobals } from '../model/gpu-model';
import { crossEntropy } from '../ops/cross-entropy';
import { CancelledError } from '../gpu/errors';
import { evaluationWindows, nextTokenTargets } from './windows';

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
}

export function windowsPerBatch(cfg: ModelConfig, windowLen: number, budgetBytes: number): number {
  const widest = Math.max(cfg.vocab, cfg.intermediate, 3 * cfg.hidden);
  return Math.max(1, Math.floor(budgetBytes / (windowLen * widest * 4)));
}

export async function perplexity(
  gpu: Gpu,
  cfg: ModelConfig,
  globals: ModelGlobals,
  blocks: BlockProvider,
  tokens: ArrayLike<number>,
  opts: PerplexityOptions,
): Promise<PerplexityResult> {
  const windows = evaluationWindows(tokens, opts.windowLen, opts.windows);
  if (!windows.length) throw new Error(`the evaluation text has ${tokens.length} tokens, fewer than one window of ${opts.windowLen}`);
  const perBatch = Math.min(windows.length, windowsPerBatch(cfg, opts.windowLen, opts.budgetBytes ?? 32 << 20));
  let nll = 0;
  let scored = 0;
  for (let start = 0; start < windows.length; start += perBatch) {
    if (opts.signal?.aborted) throw new CancelledError('Perplexity evaluation');
    const group = windows.slice(start, start + perBatch);
    const ids = new Uint32Array(group.length * opts.windowLen);
    group.forEach((w, i) => ids.set(w, i * opts.windowLen));
    const shape = { batch: group.length, seqLen: opts.windowLen };
    const logits = await forwardLogits(gpu, cfg, globals, blocks, ids, shape);
    const targets = gpu.upload(nextTokenTargets(ids, opts.windowLen), [ids.length], 'targets');
    const ce = crossEntropy(gpu, logits, targets);
    logits.release();
    targets.release();
    ce.lse.release();
    const losses = await ce.loss.readF32();
    ce.loss.release();
    for (let i = 0; i < losses.length; i++) {
      if ((i + 1) % opts.windowLen === 0) continue;
      nll += losses[i];
      scored++;
    }
    opts.onProgress?.(Math.min(windows.length, start + perBatch), windows.length);
  }
  return { ppl: Math.exp(nll / scored), meanNll: nll / scored, scoredTokens: scored, windows: windows.length };
}
