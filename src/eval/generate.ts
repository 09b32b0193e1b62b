// Text generation, greedy or sampled (temperature, top-k), by re-running the forward pass over the
// whole prefix each step: simple and exact; fast enough for side-by-side demos of small models.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../core/model-config';
import { forwardLogits, type BlockProvider, type ModelGlobals } from '../model/gpu-model';
import { mulberry32 } from '../reference/rng';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  seed?: number;
  stopAtEos?: boolean;
  onToken?: (id: number) => void;
  signal?: AbortSignal;
}

export function pickToken(logits: Float32Array, temperature: number, topK: number, rand: () => number): number {
  if (!(temperature > 0)) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const idx = Array.from(logits.keys())
    .sort((a, b) => logits[b] - logits[a])
    .slice(0, topK > 0 ? topK : logits.length);
  const m = logits[idx[0]];
  const p = idx.map((i) => Math.exp((logits[i] - m) / temperature));
  const total = p.reduce((a, b) => a + b, 0);
  let r = rand() * total;
  for (let j = 0; j < idx.length; j++) {
    r -= p[j];
    if (r <= 0) return idx[j];
  }
  return idx[idx.length - 1];
}

export async function generate(
  gpu: Gpu,
  cfg: ModelConfig,
  globals: ModelGlobals,
  blocks: BlockProvider,
  prompt: number[],
  opts: GenerateOptions,
): Promise<number[]> {
  const ids = [...prompt];
  const rand = mulberry32(opts.seed ?? 0);
  for (let step = 0; step < opts.maxNewTokens; step++) {
    if (opts.signal?.aborted) break;
    const seq = Uint32Array.from(ids.slice(-cfg.maxPositions));
    const logits = await forwardLogits(gpu, cfg, globals, blocks, seq, { batch: 1, seqLen: seq.length });
    const last = new Float32Array(await gpu.readBuffer(logits.buffer, cfg.vocab * 4, (seq.length - 1) * cfg.vocab * 4));
    logits.release();
    const next = pickToken(last, opts.temperature ?? 0, opts.topK ?? 0, rand);
    ids.push(next);
    opts.onToken?.(next);
    if (opts.stopAtEos && next === cfg.eosId) break;
  }
  return ids.slice(prompt.length);
}
