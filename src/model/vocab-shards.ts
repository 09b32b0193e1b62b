// An embedding (and an untied LM head) larger than one storage binding: Phi-4-mini's 200,064 x 3,072
// f32 table is 2.29 GiB, and Dawn binds 2 GiB on an H100. The table is one buffer (up to
// maxBufferSize) bound as ranges of rows that each fit a binding. The gather runs once per range
// (the first also zeroes the rows of the tokens it does not hold); the LM head computes each range's
// logits into its columns of the whole, and its backward reads each range's columns back out and
// accumulates their products. Models whose table fits a binding keep one range: nothing changes.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { copyColumns } from '../ops/columns';
import { embeddingGather } from '../ops/embedding';
import { matmul } from '../ops/matmul';

/** Vocabulary ids first .. first + rows - 1: views of the embedding's and the LM head's rows. */
export interface VocabShard {
  first: number;
  rows: number;
  embed: Tensor;
  head: Tensor;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Rows per range: as many as `maxBytes` holds, rounded down so that every range starts at the
 * storage-binding offset alignment. Throws where one row cannot be bound.
 */
export function shardRows(vocab: number, rowBytes: number, maxBytes: number, align: number): number {
  const step = align / gcd(rowBytes, align);
  const rows = Math.floor(Math.floor(maxBytes / rowBytes) / step) * step;
  if (rows < 1) throw new Error(`vocabulary ranges: ${step} rows of ${rowBytes} bytes (the binding alignment) exceed a binding of ${maxBytes} bytes`);
  return Math.min(vocab, rows);
}

/** The ranges of `embed` [vocab, cols] (and of `head`, the same shape; the embedding when tied), each at most `maxBytes`. */
export function vocabShards(gpu: Gpu, embed: Tensor, head: Tensor, maxBytes: number): VocabShard[] {
  const [vocab, cols] = embed.shape;
  const align = gpu.device.limits.minStorageBufferOffsetAlignment ?? 256;
  const per = shardRows(vocab, cols * 4, maxBytes, align);
  const rows = Array.from({ length: Math.ceil(vocab / per) }, (_, i) => Math.min(per, vocab - i * per));
  if (rows.length === 1) return [{ first: 0, rows: vocab, embed, head }];
  const embeds = embed.rowViews(rows);
  const heads = head === embed ? embeds : head.rowViews(rows);
  return rows.map((r, i) => ({ first: i * per, rows: r, embed: embeds[i], head: heads[i] }));
}

/** out[t, :] = the embedding's row ids[t] (zero for ids outside the vocabulary). */
export function gatherShards(gpu: Gpu, shards: readonly VocabShard[], ids: Tensor): Tensor {
  let out: Tensor | undefined;
  shards.forEach((s, i) => (out = embeddingGather(gpu, s.embed, ids, out, { first: s.first, keepOthers: i > 0 })));
  return out!;
}

/** Logits [tokens, vocab] = h · headᵀ, a range of columns at a time. */
export function lmHeadShards(gpu: Gpu, shards: readonly VocabShard[], h: Tensor): Tensor {
  if (shards.length === 1) return matmul(gpu, h, shards[0].head, { transB: true });
  const vocab = shards.reduce((a, s) => a + s.rows, 0);
  const logits = gpu.tensor([...h.shape.slice(0, -1), vocab], 'f32', 'logits');
  for (const s of shards) {
    const part = matmul(gpu, h, s.head, { transB: true });
    copyColumns(gpu, part, logits, { srcCol: 0, dstCol: s.first, cols: s.rows });
    part.release();
  }
  return logits;
}

/** d loss / d h = dlogits · head, summed over the ranges. */
export function lmHeadBackwardShards(gpu: Gpu, shards: readonly VocabShard[], dlogits: Tensor): Tensor {
  if (shards.length === 1) return matmul(gpu, dlogits, shards[0].head);
  const tokens = dlogits.size / dlogits.shape[dlogits.shape.length - 1];
  let dh: Tensor | undefined;
  for (const s of shards) {
    const part = copyColumns(gpu, dlogits, gpu.tensor([tokens, s.rows], 'f32', 'dlogits-range'), { srcCol: s.first, dstCol: 0, cols: s.rows });
    dh = dh ? matmul(gpu, part, s.head, { out: dh, accumulate: true }) : matmul(gpu, part, s.head);
    part.release();
  }
  return dh!;
}
