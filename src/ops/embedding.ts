// Embedding lookup and its gradient. ids is a u32 tensor [tokens]; an id >= vocab (e.g. the
// 0xFFFFFFFF padding id) gathers a zero row and contributes no gradient.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const WG = 256;

const GATHER = defineKernel({
  shader: 'embedding-gather',
  uniforms: { n: 'u32', cols: 'u32', vocab: 'u32', first: 'u32', zeroOthers: 'u32' },
  bindings: { table: 'read', ids: 'read', out: 'write' },
});
const BACKWARD = defineKernel({
  shader: 'embedding-backward',
  uniforms: { tokens: 'u32', vocab: 'u32', cols: 'u32' },
  bindings: { dy: 'read', ids: 'read', out: 'write' },
});
const MAX_COLS_PER_THREAD = 64;

function tableDims(op: string, table: Tensor): [number, number] {
  if (table.dtype !== 'f32' || table.shape.length !== 2) throw new Error(`${op}: ${table.name} must be an f32 [vocab, cols] tensor`);
  return [table.shape[0], table.shape[1]];
}

function requireIds(op: string, ids: Tensor): void {
  if (ids.dtype !== 'u32') throw new Error(`${op}: ids ${ids.name} must be u32, is ${ids.dtype}`);
}

/**
 * out[t, :] = table[ids[t], :], out [tokens, cols]. With `first`, the table holds the rows of ids
 * first .. first + its rows - 1 (a range of a larger one); ids outside it give zero rows unless
 * `keepOthers`, which leaves those rows of `out` as they are.
 */
export function embeddingGather(gpu: Gpu, table: Tensor, ids: Tensor, out?: Tensor, range: { first?: number; keepOthers?: boolean } = {}): Tensor {
  const [vocab, cols] = tableDims('embeddingGather', table);
  requireIds('embeddingGather', ids);
  const dst = out ?? gpu.tensor([ids.size, cols], 'f32', 'embedding');
  if (dst.size !== ids.size * cols || dst.dtype !== 'f32') throw new Error(`embeddingGather: out must be f32 [${ids.size}, ${cols}]`);
  gpu.dispatch(GATHER, {
    params: { WG },
    uniforms: { n: dst.size, cols, vocab, first: range.first ?? 0, zeroOthers: range.keepOthers ? 0 : 1 },
    bindings: { table, ids, out: dst },
    workgroups: gpu.grid1D(Math.ceil(dst.size / WG)),
    label: 'embeddingGather',
  });
  return dst;
}

export interface EmbeddingBackwardOptions {
  /** [vocab, cols] output; allocated when absent. */
  out?: Tensor;
  /** Add into `out` instead of overwriting it (e.g. a tied lm_head gradient already there). */
  accumulate?: boolean;
}

/**
 * dTable[v, :] = sum of dy[t, :] over tokens with ids[t] == v; dTable is [vocab, cols].
 * Deterministic: each vocabulary row is written by one workgroup that adds its tokens in order.
 * Cost: O(unique ids * tokens / 256) chunk checks, a prefix sum per chunk holding matches, and
 * O(tokens * cols) adds. cols <= 16384.
 */
export function embeddingBackward(gpu: Gpu, dy: Tensor, ids: Tensor, vocab: number, opts: EmbeddingBackwardOptions = {}): Tensor {
  requireIds('embeddingBackward', ids);
  if (dy.dtype !== 'f32') throw new Error(`embeddingBackward: dy is ${dy.dtype}, not f32`);
  const tokens = ids.size;
  const cols = tokens === 0 ? (dy.shape[dy.shape.length - 1] ?? 0) : dy.size / tokens;
  if (!Number.isInteger(cols) || (tokens > 0 && dy.size !== tokens * cols)) throw new Error(`embeddingBackward: dy [${dy.shape}] does not match ${tokens} ids`);
  if (opts.accumulate && !opts.out) throw new Error('embeddingBackward: accumulate needs out');
  const dst = opts.out ?? gpu.tensor([vocab, cols], 'f32', 'dEmbedding');
  if (dst.size !== vocab * cols || dst.dtype !== 'f32') throw new Error(`embeddingBackward: out must be f32 [${vocab}, ${cols}]`);
  // Columns per thread, kept in registers by the kernel.
  const cpt = Math.max(1, Math.ceil(cols / WG));
  if (cpt > MAX_COLS_PER_THREAD) throw new Error(`embeddingBackward: ${cols} columns exceed ${MAX_COLS_PER_THREAD * WG}`);
  if (!opts.accumulate) gpu.clear(dst);
  gpu.dispatch(BACKWARD, {
    params: { WG, CPT: cpt },
    uniforms: { tokens, vocab, cols },
    bindings: { dy, ids, out: dst },
    workgroups: gpu.grid1D(tokens),
    label: 'embeddingBackward',
  });
  return dst;
}
