// Deterministic reductions (fixed-order trees, no float atomics): the same input gives the same
// bits on every run. x [rows, cols] means any shape whose last dimension is cols.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

/** Rows per chunk of one sumCols pass: 64 sequential adds per thread, many workgroups for big R. */
const COLS_ROWS_PER_CHUNK = 256;
const COLS_TILE = 64;
const ALL_WG = 256;
/** Values per thread of one reduce-all pass: a workgroup takes 2048 consecutive values. */
const ALL_ITEMS = 8;

const REDUCE_ROWS = defineKernel({ shader: 'reduce-rows', uniforms: { rows: 'u32', cols: 'u32' }, bindings: { x: 'read', out: 'write' } });
const REDUCE_COLS = defineKernel({
  shader: 'reduce-cols',
  uniforms: { rows: 'u32', cols: 'u32', rowsPerChunk: 'u32', accumulate: 'u32' },
  bindings: { x: 'read', out: 'write' },
});
/** SQDIFF reads a and b, every other pass x. */
const REDUCE_ALL = defineKernel({
  shader: 'reduce-all',
  uniforms: { n: 'u32', groups: 'u32', scale: 'f32' },
  bindings: { x: 'read?', a: 'read?', b: 'read?', out: 'write' },
});

function requireF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: ${t.name} is ${t.dtype}, not f32`);
}

function rowsCols(x: Tensor): [number, number] {
  const cols = x.shape[x.shape.length - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

/** Smallest power of two >= n, clamped to [32, 256]: short rows do not idle 256 threads. */
function rowWorkgroup(cols: number): number {
  let wg = 32;
  while (wg < cols && wg < 256) wg *= 2;
  return wg;
}

/** out[r] = sum over c of x[r, c]. One workgroup per row. */
export function sumRows(gpu: Gpu, x: Tensor, out?: Tensor): Tensor {
  const [rows, cols] = rowsCols(x);
  const dst = out ?? gpu.tensor([rows], 'f32', 'sumRows');
  requireF32('sumRows', x, dst);
  if (dst.size !== rows) throw new Error(`sumRows: out has ${dst.size} values, need ${rows}`);
  if (cols === 0) return rows ? fillZero(gpu, dst) : dst;
  const WG = rowWorkgroup(cols);
  gpu.dispatch(REDUCE_ROWS, {
    params: { WG },
    uniforms: { rows, cols },
    bindings: { x, out: dst },
    workgroups: gpu.grid1D(rows),
    label: 'sumRows',
  });
  return dst;
}

export interface SumColsOptions {
  /** Add the column sums to what `out` holds instead of overwriting it (gradient accumulation). */
  accumulate?: boolean;
}

/**
 * out[c] = sum over r of x[r, c] (bias / norm-weight gradients). Chunked two-level reduction:
 * each pass sums chunks of 256 rows for 64-column tiles into a [chunks, cols] partial, repeated
 * until one row is left, so R = 100k costs three short passes rather than a 100k-long loop.
 */
export function sumCols(gpu: Gpu, x: Tensor, out?: Tensor, opts: SumColsOptions = {}): Tensor {
  const [rows, cols] = rowsCols(x);
  const dst = out ?? gpu.tensor([cols], 'f32', 'sumCols');
  requireF32('sumCols', x, dst);
  if (dst.size !== cols) throw new Error(`sumCols: out has ${dst.size} values, need ${cols}`);
  if (dst.buffer === x.buffer) throw new Error('sumCols: out must not alias x');
  if (rows === 0) return opts.accumulate || cols === 0 ? dst : fillZero(gpu, dst);
  let src = x;
  let n = rows;
  for (;;) {
    const chunks = Math.ceil(n / COLS_ROWS_PER_CHUNK);
    const last = chunks === 1;
    const partial = last ? dst : gpu.tensor([chunks, cols], 'f32', 'sumCols.partial');
    gpu.dispatch(REDUCE_COLS, {
      uniforms: { rows: n, cols, rowsPerChunk: COLS_ROWS_PER_CHUNK, accumulate: last && opts.accumulate ? 1 : 0 },
      bindings: { x: src, out: partial },
      workgroups: [Math.ceil(cols / COLS_TILE), chunks],
      label: 'sumCols',
    });
    // Safe to release once encoded: later users of the pooled buffer are encoded after this read.
    if (src !== x) src.release();
    if (last) return dst;
    src = partial;
    n = chunks;
  }
}

type AllMode = 'SUM' | 'SQUARE' | 'SQDIFF';

/** Full reduction to one value: a mapped first pass, then plain sums of partials, times `scale`. */
function reduceAll(gpu: Gpu, op: string, mode: AllMode, inputs: Tensor[], scale: number, out?: Tensor): Tensor {
  const dst = out ?? gpu.tensor([1], 'f32', op);
  requireF32(op, ...inputs, dst);
  if (dst.size !== 1) throw new Error(`${op}: out must have 1 value, has ${dst.size}`);
  const n = inputs[0].size;
  if (inputs.some((t) => t.size !== n)) throw new Error(`${op}: input sizes differ`);
  if (n === 0) return fillZero(gpu, dst);
  const perGroup = ALL_WG * ALL_ITEMS;
  let srcs = inputs;
  let count = n;
  let first = true;
  for (;;) {
    const groups = Math.ceil(count / perGroup);
    const last = groups === 1;
    const partial = last ? dst : gpu.tensor([groups], 'f32', `${op}.partial`);
    const sqdiff = first && mode === 'SQDIFF';
    gpu.dispatch(REDUCE_ALL, {
      params: { WG: ALL_WG, ITEMS: ALL_ITEMS, SQUARE: first && mode === 'SQUARE', SQDIFF: sqdiff },
      uniforms: { n: count, groups, scale: last ? scale : 1 },
      bindings: sqdiff ? { a: srcs[0], b: srcs[1], out: partial } : { x: srcs[0], out: partial },
      workgroups: gpu.grid1D(groups),
      label: op,
    });
    if (!first) srcs[0].release();
    if (last) return dst;
    srcs = [partial];
    count = groups;
    first = false;
  }
}

function fillZero(gpu: Gpu, t: Tensor): Tensor {
  gpu.clear(t);
  return t;
}

/** [1] = sum of all elements. */
export function sumAll(gpu: Gpu, x: Tensor, out?: Tensor): Tensor {
  return reduceAll(gpu, 'sumAll', 'SUM', [x], 1, out);
}

/** [1] = sum of squares of all elements. */
export function sumSquares(gpu: Gpu, x: Tensor, out?: Tensor): Tensor {
  return reduceAll(gpu, 'sumSquares', 'SQUARE', [x], 1, out);
}

export interface MeanSquaredErrorOptions {
  /** The sum of squared differences is divided by this; default the element count. */
  denominator?: number;
  out?: Tensor;
}

/** [1] = sum((a - b)^2) / denominator. */
export function meanSquaredError(gpu: Gpu, a: Tensor, b: Tensor, opts: MeanSquaredErrorOptions = {}): Tensor {
  const denominator = opts.denominator ?? a.size;
  if (!(denominator > 0)) throw new Error(`meanSquaredError: denominator must be > 0, got ${denominator}`);
  return reduceAll(gpu, 'meanSquaredError', 'SQDIFF', [a, b], 1 / denominator, opts.out);
}
