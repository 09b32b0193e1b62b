// Perplexity of an exported .onnx file under onnxruntime, with the studio's protocol (windows from
// eval/windows.ts, positions 1..L-1 scored): the check that the exported file computes what the
// studio measured. The runtime module is passed in, so the browser and Node load it their own way.
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-web';
import { evaluationWindows } from '../eval/windows';

export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, opts?: InferenceSession.SessionOptions): Promise<InferenceSession> };
  Tensor: new (type: 'int64' | 'float32', data: BigInt64Array | Float32Array, dims: number[]) => OrtTensor;
}

export interface OnnxScoreOptions {
  windowLen: number;
  /** 0 = every window. */
  windows: number;
  executionProviders?: string[];
  /** Bytes of logits per run; windows are batched under it. */
  budgetBytes?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface OnnxScore {
  ppl: number;
  meanNll: number;
  scoredTokens: number;
  windows: number;
  executionProvider: string;
}

export async function scoreOnnx(ort: OrtModule, bytes: Uint8Array, tokens: ArrayLike<number>, opts: OnnxScoreOptions): Promise<OnnxScore> {
  const windows = evaluationWindows(tokens, opts.windowLen, opts.windows);
  if (!windows.length) throw new Error(`${tokens.length} tokens are fewer than one window of ${opts.windowLen}`);
  const eps = opts.executionProviders ?? ['wasm'];
  const session = await ort.InferenceSession.create(bytes, { executionProviders: eps, graphOptimizationLevel: 'all' });
  try {
    const L = opts.windowLen;
    let nll = 0;
    let scored = 0;
    let vocab = 0;
    let perBatch = 1;
    for (let start = 0; start < windows.length;) {
      const group = windows.slice(start, start + perBatch);
      const ids = new BigInt64Array(group.length * L);
      group.forEach((w, b) => w.forEach((t, i) => (ids[b * L + i] = BigInt(t))));
      const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [group.length, L]) });
      const logits = out.logits;
      const data = logits.data as Float32Array;
      vocab = logits.dims[2];
      for (let b = 0; b < group.length; b++) {
        for (let i = 0; i + 1 < L; i++) {
          const row = data.subarray((b * L + i) * vocab, (b * L + i + 1) * vocab);
          let m = -Infinity;
          for (let v = 0; v < vocab; v++) m = Math.max(m, row[v]);
          let s = 0;
          for (let v = 0; v < vocab; v++) s += Math.exp(row[v] - m);
          nll += m + Math.log(s) - row[group[b][i + 1]];
          scored++;
        }
      }
      logits.dispose();
      start += group.length;
      opts.onProgress?.(start, windows.length);
      // After the first run the vocabulary is known: batch the rest under the budget.
      perBatch = Math.max(1, Math.floor((opts.budgetBytes ?? 64 << 20) / (L * vocab * 4)));
    }
    return { ppl: Math.exp(nll / scored), meanNll: nll / scored, scoredTokens: scored, windows: windows.length, executionProvider: eps[0] };
  } finally {
    await session.release();
  }
}
