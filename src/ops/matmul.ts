// Matrix multiply for every form training needs:
//   y  = x·Wᵀ (+bias)   matmul(gpu, x, W, { transB: true, bias })
//   dx = dy·W           matmul(gpu, dy, W)
//   dW = dyᵀ·x          matmul(gpu, dy, x, { transA: true, accumulate: true, out: dW })
// Kernel: shaders/matmul.wgsl (register-blocked, double-buffered workgroup tiles); outputs too
// small to fill the GPU split K over more workgroups and sum the parts in shaders/matmul-splitk.wgsl.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';

const MATMUL = defineKernel({
  shader: 'matmul',
  uniforms: { M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', alpha: 'f32', splits: 'u32', kChunk: 'u32' },
  bindings: { a: 'read', b: 'read', out: 'write', bias: 'read?' },
});
const SPLITK_SUM = defineKernel({
  shader: 'matmul-splitk',
  uniforms: { total: 'u32', mn: 'u32', n: 'u32', splits: 'u32', alpha: 'f32' },
  bindings: { part: 'read', out: 'write', bias: 'read?' },
});

/** A tile configuration of shaders/matmul.wgsl: BM x BN outputs per workgroup, TM x TN per thread. */
export interface MatmulTile {
  BM: number;
  BN: number;
  BK: number;
  TM: number;
  TN: number;
  /** Tile rows launched together, for L2 reuse (1: plain row-major launch order). */
  GROUP_M: number;
}

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** [N], added to every output row. */
  bias?: Tensor;
  /** out += result instead of out = result (needs `out`). */
  accumulate?: boolean;
  out?: Tensor;
  /** Scales the product (not the bias or the accumulated value). */
  alpha?: number;
  /** Forces a tile configuration (benchmarks and tests); chosen by shape otherwise. */
  tile?: MatmulTile;
  /** Forces the number of K splits (benchmarks and tests); chosen by shape otherwise. */
  splitK?: number;
}

export const MATMUL_TILES = {
  /** 256 threads, 8x8 outputs each: the large-matrix workhorse. */
  large: { BM: 128, BN: 128, BK: 8, TM: 8, TN: 8, GROUP_M: 8 },
  /** 128 threads: half the tiles' rows, for shapes that give the large tile too few workgroups. */
  wide: { BM: 64, BN: 128, BK: 8, TM: 8, TN: 8, GROUP_M: 8 },
  /** 256 threads, 4x4 outputs each: more workgroups for mid-size outputs. */
  medium: { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4, GROUP_M: 8 },
  /** 64 threads: tiny outputs (a few rows or columns). */
  small: { BM: 32, BN: 32, BK: 16, TM: 4, TN: 4, GROUP_M: 1 },
} satisfies Record<string, MatmulTile>;

/** Split K when a tile gives fewer workgroups than this (~2 per SM of a 132-SM H100; WebGPU does
 * not expose the SM count), aiming at SPLIT_TARGET workgroups in all. Tuned on an H100
 * (`bench-kernels.mjs --sweep`); a smaller GPU just runs a few more waves. */
const SPLIT_BELOW = 256;
const SPLIT_TARGET = 480;
/** Shortest stretch of K a split is given. */
const MIN_SPLIT_CHUNK = 128;
const MAX_SPLITS = 32;

function threads(t: MatmulTile): number {
  return (t.BM / t.TM) * (t.BN / t.TN);
}

function workgroupBytes(t: MatmulTile): number {
  return 2 * (t.BM + t.BN) * t.BK * 4; // double-buffered A and B tiles
}

export function tileFits(gpu: Gpu, t: MatmulTile): boolean {
  return threads(t) <= gpu.maxWorkgroupSize && workgroupBytes(t) <= gpu.device.limits.maxComputeWorkgroupStorageSize;
}

function checkTile(t: MatmulTile): void {
  const ok = t.TM % 4 === 0 && t.TN % 4 === 0 && t.BK % 4 === 0 && t.BM % t.TM === 0 && t.BN % t.TN === 0 && t.GROUP_M >= 1;
  if (!ok) throw new Error(`matmul: bad tile ${JSON.stringify(t)}`);
}

const workgroups = (t: MatmulTile, m: number, n: number, batch: number) => Math.ceil(m / t.BM) * Math.ceil(n / t.BN) * batch;
const maxSplits = (k: number) => Math.max(1, Math.min(MAX_SPLITS, Math.floor(k / MIN_SPLIT_CHUNK)));

/** K splits for a tile: none when its workgroups fill the GPU; else enough to reach SPLIT_TARGET. */
export function chooseSplitK(t: MatmulTile, m: number, n: number, k: number, batch: number): number {
  const wgs = workgroups(t, m, n, batch);
  if (wgs >= SPLIT_BELOW) return 1;
  return evenSplits(k, Math.min(Math.ceil(SPLIT_TARGET / wgs), maxSplits(k)));
}

/** Splits of K into whole multiples of MIN_SPLIT_CHUNK (a multiple of every BK), so splits are
 * even: K=2048 asked for 5 runs as 4 x 512 rather than 4 x 416 + 384 (faster on the H100). */
function splitChunk(k: number, splits: number): number {
  return Math.ceil(k / splits / MIN_SPLIT_CHUNK) * MIN_SPLIT_CHUNK;
}

function evenSplits(k: number, splits: number): number {
  return splits > 1 ? Math.ceil(k / splitChunk(k, splits)) : 1;
}

export interface MatmulPlan {
  tile: MatmulTile;
  splitK: number;
}

/** Tile and K splits by shape. Measured on an H100: 128x128 and 64x128 tiles tie on large outputs;
 * on mid-size outputs 64x128 wins, split over K when it gives under ~2 workgroups per SM; outputs
 * too small to fill the GPU even when split take 32x32 tiles (the most workgroups). */
export function chooseMatmulPlan(gpu: Gpu, m: number, n: number, k: number, batch: number): MatmulPlan {
  const { large, wide, medium, small } = MATMUL_TILES;
  let tile: MatmulTile | undefined;
  if (tileFits(gpu, large) && workgroups(large, m, n, batch) >= 1024) tile = large;
  tile ??= [wide, medium].find((t) => tileFits(gpu, t) && workgroups(t, m, n, batch) * maxSplits(k) >= SPLIT_TARGET);
  tile ??= small;
  return { tile, splitK: chooseSplitK(tile, m, n, k, batch) };
}

interface Dims {
  batch: number;
  m: number;
  k: number;
  n: number;
  strideA: number;
  strideB: number;
}

function dims(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Dims {
  const ra = a.shape.length,
    rb = b.shape.length;
  if (ra < 2 || ra > 3 || rb < 2 || rb > 3) throw new Error(`matmul: ranks ${ra} and ${rb} (want 2 or 3)`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) throw new Error(`matmul: inner sizes differ, a [${a.shape}]${transA ? 'ᵀ' : ''} · b [${b.shape}]${transB ? 'ᵀ' : ''}`);
  const batchA = ra === 3 ? a.shape[0] : 1;
  const batchB = rb === 3 ? b.shape[0] : 1;
  if (ra === 3 && rb === 3 && batchA !== batchB) throw new Error(`matmul: batches ${batchA} and ${batchB} differ`);
  return {
    batch: Math.max(batchA, batchB),
    m,
    k,
    n,
    strideA: ra === 3 ? m * k : 0,
    strideB: rb === 3 ? k * n : 0,
  };
}

/** alpha · op(a) · op(b) (+ bias) (+ out when accumulating); see the file header for the forms. */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const d = dims(a, b, transA, transB);
  const batched = a.shape.length === 3 || b.shape.length === 3;
  const outShape = batched ? [d.batch, d.m, d.n] : [d.m, d.n];
  if (opts.accumulate && !opts.out) throw new Error('matmul: accumulate needs out');
  if (opts.out && opts.out.size !== d.batch * d.m * d.n) throw new Error(`matmul: out [${opts.out.shape}] is not [${outShape}]`);
  if (opts.bias && opts.bias.size !== d.n) throw new Error(`matmul: bias [${opts.bias.shape}] is not [${d.n}]`);
  const out = opts.out ?? gpu.tensor(outShape, 'f32', 'matmul');

  const tile = opts.tile ?? chooseMatmulPlan(gpu, d.m, d.n, d.k, d.batch).tile;
  checkTile(tile);
  if (!tileFits(gpu, tile)) throw new Error(`matmul: tile ${JSON.stringify(tile)} exceeds this device's workgroup limits`);
  // K per split, a multiple of BK; the workspace must fit one binding
  const maxBinding = gpu.device.limits.maxStorageBufferBindingSize;
  let splits = Math.max(1, Math.min(opts.splitK ?? chooseSplitK(tile, d.m, d.n, d.k, d.batch), Math.ceil(d.k / tile.BK)));
  while (splits > 1 && d.batch * splits * d.m * d.n * 4 > maxBinding) splits--;
  splits = evenSplits(d.k, splits);
  const kChunk = splits > 1 ? splitChunk(d.k, splits) : Math.max(tile.BK, Math.ceil(d.k / tile.BK) * tile.BK);

  const label = `matmul ${d.batch > 1 ? `${d.batch}x` : ''}${d.m}x${d.k}x${d.n}${transA ? ' tA' : ''}${transB ? ' tB' : ''}`;
  const part = splits > 1 ? gpu.tensor([d.batch * splits, d.m, d.n], 'f32', 'matmul-splitk') : out;
  gpu.dispatch(MATMUL, {
    params: {
      ...tile,
      TRANS_A: transA,
      TRANS_B: transB,
      // vec4 access needs the operand's contiguous dimension to be a multiple of 4
      VEC_A: (transA ? d.m : d.k) % 4 === 0,
      VEC_B: (transB ? d.k : d.n) % 4 === 0,
      VEC_C: d.n % 4 === 0,
      HAS_BIAS: Boolean(opts.bias) && splits === 1,
      ACCUMULATE: Boolean(opts.accumulate) && splits === 1,
    },
    uniforms: { M: d.m, N: d.n, K: d.k, strideA: d.strideA, strideB: d.strideB, alpha: splits === 1 ? (opts.alpha ?? 1) : 1, splits, kChunk },
    bindings: { a, b, out: part, bias: splits === 1 ? opts.bias : undefined },
    workgroups: [Math.ceil(d.n / tile.BN), Math.ceil(d.m / tile.BM), d.batch * splits],
    label,
  });
  if (splits > 1) {
    const total = d.batch * d.m * d.n;
    gpu.dispatch(SPLITK_SUM, {
      params: { WG: 256, HAS_BIAS: Boolean(opts.bias), ACCUMULATE: Boolean(opts.accumulate) },
      uniforms: { total, mn: d.m * d.n, n: d.n, splits, alpha: opts.alpha ?? 1 },
      bindings: { part, out, bias: opts.bias },
      workgroups: gpu.grid1D(Math.ceil(total / 256)),
      label: `${label} splitk-sum`,
    });
    part.release(); // later users of the buffer are ordered after this dispatch
  }
  return out;
}
