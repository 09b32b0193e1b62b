// Matrix multiply for every form training needs:
//   y  = x·Wᵀ (+bias)   matmul(gpu, x, W, { transB: true, bias })
//   dx = dy·W           matmul(gpu, dy, W)
//   dW = dyᵀ·x          matmul(gpu, dy, x, { transA: true, accumulate: true, out: dW })
// Kernel: shaders/matmul.wgsl (register-blocked, double-buffered workgroup tiles); outputs too
// small to fill the GPU split K over more workgroups and sum the parts in shaders/matmul-splitk.wgsl.
// The operands' dtype picks the path: f32 operands take matmul.wgsl in f32 (the reference path,
// what CI runs); f16 operands (both) take shaders/matmul-subgroup.wgsl on the tensor cores when the
// device offers f16 subgroup matrices, else matmul.wgsl with f16 storage. Products and sums are f32
// on every path, and the output is f32.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { TRIE_LEAF, trieChild, type NumberTrie } from '../gpu/number-trie';

const MATMUL = defineKernel({
  shader: 'matmul',
  uniforms: { M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', alpha: 'f32', splits: 'u32', kChunk: 'u32' },
  bindings: { a: 'read', b: 'read', out: 'write', bias: 'read?' },
});
const MATMUL_SUBGROUP = defineKernel({
  shader: 'matmul-subgroup',
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
  /** Forces a tile of the tensor-core kernel (f16 operands on a device with subgroup matrices). */
  subgroupTile?: SubgroupTile;
  /** f16 operands: 'f16' forces the f16-storage kernel where subgroup matrices would be chosen (benchmarks and tests). */
  path?: MatmulPath;
  /** The first word of the dispatch's label, for timing ('linear' for a Linear's product; default 'matmul'). */
  role?: string;
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

/** How whole tiles are copied into workgroup memory (SubgroupTile.LOAD). */
export type SubgroupLoad = 'vec4' | 'vec8' | 'vec8r' | 'u32';

/** A tile of shaders/matmul-subgroup.wgsl: SG_M x SG_N subgroups, each FM x FN fragments of 16 x 16. */
export interface SubgroupTile {
  SG_M: number;
  SG_N: number;
  FM: number;
  FN: number;
  BK: number;
  GROUP_M: number;
  /** Fragments straight from storage, no workgroup tiles (whole tiles only). */
  DIRECT?: boolean;
  /** Workgroup tile buffers: 2 (default; one barrier per step) or 1 (half the memory, two barriers). */
  BUFFERS?: 1 | 2;
  /** Loads of whole tiles into workgroup memory: 'vec4' (default; 8 bytes), 'vec8' (16 bytes),
   * 'vec8r' (16 bytes, each lane storing its words in another order, so that each f16 store of a
   * subgroup hits 32 banks) or 'u32' (4 bytes, laid out to the same end). Ragged shapes always take
   * bounds-checked 8-byte loads. */
  LOAD?: SubgroupLoad;
  /** Bounds-checked code even for whole tiles (measurement and tests). */
  CHECKED?: boolean;
  /** Subgroups that only copy the tiles while the SG_M x SG_N others only multiply (two buffers;
   *  used on whole tiles without a staged epilogue, else the tile runs without them). */
  PRODUCERS?: number;
  /** Steps of global loads in flight in registers (default 1: each step's loads are issued one
   *  step before they are stored; 2 or 3 issue them that many steps ahead, for more registers). */
  PREFETCH?: number;
  /** Each subgroup's share of the A and B tiles in a workgroup array of its own, so that every
   *  fragment load reads at a constant offset (with Dawn's robustness on, what made 128 x 256 tiles
   *  of 4 x 4 fragments 10-22% faster; why, the SPIR-V does not show). */
  STRIPS?: boolean;
}

export const SUBGROUP_TILES = {
  /** 128 x 128 outputs, 4 subgroups of 64 x 64 in strips, rotated 16-byte copy (128 invocations, so
   *  that two workgroups can share an SM, one's copies and barriers overlapping the other's
   *  multiplies): 2-22% over w256x8s and 36-50% over tall8k64s at every shape on an H100 (2026-12-06,
   *  five runs). */
  q128s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  /** 128 x 128 outputs, 4 subgroups of 64 x 64. */
  large: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8 },
  /** 128 x 128 outputs, 8 subgroups of 64 x 32. */
  large8: { SG_M: 2, SG_N: 4, FM: 4, FN: 2, BK: 32, GROUP_M: 8 },
  /** 128 x 128 outputs, 8 subgroups of 32 x 64. */
  tall8: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8' },
  /** 128 x 128 outputs, 16 subgroups of 32 x 32. */
  square16: { SG_M: 4, SG_N: 4, FM: 2, FN: 2, BK: 32, GROUP_M: 8 },
  /** tall8 with half the K per step (half the workgroup memory). */
  tall8k16: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 16, GROUP_M: 8 },
  /** 64 x 128 outputs, 4 subgroups of 32 x 64. */
  wide: { SG_M: 2, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8 },
  /** 64 x 64 outputs, 4 subgroups of 32 x 32. */
  medium: { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8' },
  /** 128 x 128 outputs, 4 subgroups of 64 x 64, fragments straight from storage. */
  largeDirect: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, DIRECT: true },
} satisfies Record<string, SubgroupTile>;

/** Which kernel a matmul of these operand dtypes runs on this device. */
export type MatmulPath = 'f32' | 'f16' | 'subgroup-matrix';

export function matmulPath(gpu: Gpu, dtype: 'f32' | 'f16'): MatmulPath {
  if (dtype === 'f32') return 'f32';
  if (gpu.subgroupMatrix) return 'subgroup-matrix';
  if (gpu.hasF16) return 'f16';
  throw new Error('matmul: f16 operands on a device without shader-f16 (convert them to f32, or keep the policy at f32 on this device)');
}

const sgThreads = (t: SubgroupTile, subgroupSize: number) => (t.SG_M * t.SG_N + (t.PRODUCERS ?? 0)) * subgroupSize;
const sgBM = (t: SubgroupTile) => t.SG_M * t.FM * 16;
const sgBN = (t: SubgroupTile) => t.SG_N * t.FN * 16;

function checkSubgroupTile(t: SubgroupTile): void {
  const producers = t.PRODUCERS ?? 0;
  const ok =
    [t.SG_M, t.SG_N, t.FM, t.FN, t.GROUP_M].every((x) => Number.isInteger(x) && x >= 1) &&
    t.BK % 16 === 0 &&
    t.BK > 0 &&
    (t.BUFFERS ?? 2) in { 1: 1, 2: 2 } &&
    ['vec4', 'vec8', 'vec8r', 'u32'].includes(t.LOAD ?? 'vec4') &&
    Number.isInteger(producers) &&
    producers >= 0 &&
    [1, 2, 3].includes(t.PREFETCH ?? 1) &&
    // producers copy into one buffer while the others read the other
    (producers === 0 || ((t.BUFFERS ?? 2) === 2 && !t.DIRECT));
  if (!ok) throw new Error(`matmul: bad subgroup tile ${JSON.stringify(t)}`);
}

/** How a tile runs on a shape: whole tiles (no bounds checks), a staging block for the epilogue, a
 * second pass for the sum, the copy into workgroup memory. */
export interface SubgroupVariant {
  whole: boolean;
  stageC: boolean;
  /** The product goes to a workspace and the split-K sum pass adds alpha, the bias and out. */
  sumPass: boolean;
  load: SubgroupLoad;
  /** Producer subgroups (the tile's PRODUCERS where they apply, else 0). */
  producers: number;
}

/** Whole tiles: M % BM, N % BN, K % BK zero (split chunks are multiples of 128, so of BK too). */
export function wholeFits(t: SubgroupTile, m: number, n: number, k: number): boolean {
  return !t.CHECKED && 128 % t.BK === 0 && m % sgBM(t) === 0 && n % sgBN(t) === 0 && k % t.BK === 0;
}

/**
 * Whole tiles store their fragments straight into out (alpha applied on the way); a bias or an
 * accumulation there goes through the sum pass instead of a kernel that reads out: started from out,
 * the accumulators ran 36% slower, a staged epilogue 20% (H100, docs/half-precision.md, seventeenth
 * round), where the pass costs a read and a write of the output. Ragged tiles stage their epilogue.
 */
export function subgroupVariant(
  t: SubgroupTile,
  s: { m: number; n: number; k: number; transA?: boolean; transB?: boolean; bias?: boolean; accumulate?: boolean; splits?: number },
): SubgroupVariant {
  const whole = wholeFits(t, s.m, s.n, s.k);
  const sumPass = (s.splits ?? 1) > 1 || (whole && (Boolean(s.bias) || Boolean(s.accumulate)));
  const stageC = !whole;
  const load = !whole || t.DIRECT ? 'vec4' : (t.LOAD ?? 'vec4');
  // the producers' loop has no barriers for a staged epilogue to share
  const producers = whole && !t.DIRECT ? (t.PRODUCERS ?? 0) : 0;
  return { whole, stageC, sumPass, load, producers };
}

function subgroupTileBytes(t: SubgroupTile, transA: boolean, transB: boolean, stageC = true): number {
  const c = stageC ? t.SG_M * t.SG_N * 256 * 4 : 0; // one f32 fragment per subgroup
  if (t.DIRECT) return c;
  const pad = 8;
  // strips across columns (shaders/matmul-subgroup.wgsl): each its own columns plus pad, and SPAD
  const colStrips = (strips: number, width: number) => strips * (t.BK * (width + pad) + 32);
  const a = t.STRIPS && transA ? colStrips(t.SG_M, t.FM * 16) : transA ? t.BK * (sgBM(t) + pad) : sgBM(t) * (t.BK + pad);
  const b = t.STRIPS && !transB ? colStrips(t.SG_N, t.FN * 16) : transB ? sgBN(t) * (t.BK + pad) : t.BK * (sgBN(t) + pad);
  return (t.BUFFERS ?? 2) * 2 * (a + b) + c; // f16 tiles
}

/** Whether the tile fits this device's workgroup limits (with the epilogue's staging block unless stageC is false). */
export function subgroupTileFits(gpu: Gpu, t: SubgroupTile, transA = false, transB = false, stageC = true): boolean {
  const sg = gpu.subgroupMatrix;
  return (
    sg !== null &&
    sgThreads(t, sg.subgroupSize) <= gpu.maxWorkgroupSize &&
    subgroupTileBytes(t, transA, transB, stageC) <= gpu.device.limits.maxComputeWorkgroupStorageSize
  );
}

/** Whole tiles, as the direct variant needs (split K chunks are multiples of 128). */
export function directFits(t: SubgroupTile, m: number, n: number, k: number): boolean {
  return m % sgBM(t) === 0 && n % sgBN(t) === 0 && k % 32 === 0;
}

const sgWorkgroups = (t: SubgroupTile, m: number, n: number, batch: number) => Math.ceil(m / sgBM(t)) * Math.ceil(n / sgBN(t)) * batch;

/** Tile and K splits for the tensor-core kernel. Whole tiles take 128 x 128 outputs of 4 subgroups of
 * 64 x 64, each subgroup's strips of the tiles in arrays of their own, the rotated 16-byte copy: two
 * such workgroups can share an SM (H100, 2026-12-06: 151-186 TFLOP/s at 4096³ and the 1B shapes in every
 * form, 2-22% over the 128 x 256 tile before it; bench-kernels --half-sweep, docs/half-precision.md).
 * Ragged shapes take the bounds-checked 128 x 128 tile of 8 subgroups, and 64 x 64 tiles outputs too
 * small to give it workgroups. */
export function chooseSubgroupPlan(
  gpu: Gpu,
  m: number,
  n: number,
  k: number,
  batch: number,
  transA = false,
  transB = false,
): { tile: SubgroupTile; splitK: number } {
  const { q128s, tall8, medium } = SUBGROUP_TILES;
  const fits = (t: SubgroupTile) => subgroupTileFits(gpu, t, transA, transB) && sgWorkgroups(t, m, n, batch) >= SG_SPLIT_BELOW;
  const whole = (t: SubgroupTile) => fits(t) && wholeFits(t, m, n, k);
  const tile = whole(q128s) ? q128s : fits(tall8) ? tall8 : medium;
  const wgs = sgWorkgroups(tile, m, n, batch);
  const splitK = wgs >= SG_SPLIT_BELOW || k < SG_MIN_SPLIT_K ? 1 : evenSplits(k, Math.min(Math.ceil(SPLIT_TARGET / wgs), maxSplits(k)));
  return { tile, splitK };
}

/** The tensor-core tiles split K under this many workgroups (about one per SM of the H200's 132). */
const SG_SPLIT_BELOW = 128;
/** ... and only where K is at least this long. At the 512-token products of a TEQ step (K 192-1536,
 * SmolLM2-135M) every split timed slower than none, by 20-45% with its sum pass (`bench-small-products`
 * on the H200, 2026-12-04, docs/half-precision.md); the LM head's input gradient (K 49,152) gains,
 * and so did TesseraQ's weight gradients over 4 x 512 tokens (its rounds 7% slower unsplit). */
const SG_MIN_SPLIT_K = 2048;
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

/** How many splits of K the engine makes when asked for `splits` (chunks are multiples of 128). */
export function evenSplits(k: number, splits: number): number {
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

/** What a product of one shape and form dispatches: decided once, reused by every later call. */
interface MatmulRecipe {
  kernel: typeof MATMUL_SUBGROUP | typeof MATMUL;
  /** Frozen: the runtime finds the pipeline by the object itself (Gpu.pipelineEntry). */
  params: Readonly<Record<string, number | string | boolean>>;
  workgroups: [number, number, number];
  label: string;
  splits: number;
  kChunk: number;
  /** A second pass sums the splits and adds alpha, the bias and out (split K, or see subgroupVariant). */
  sumPass: boolean;
  sumParams: Readonly<Record<string, number | string | boolean>> | null;
  sumWorkgroups: [number, number];
}

/** Per device, recipes by shape and form: a training step issues the same few dozen products
 * thousands of times, and deciding tile, splits and variant again each time cost more CPU than
 * encoding the dispatch (a CPU profile on the H200). */
const recipes = new WeakMap<Gpu, NumberTrie<MatmulRecipe>>();
/** Small numbers for the roles in recipe keys. */
const roleIds = new Map<string, number>();

function roleId(role: string | undefined): number {
  if (role === undefined) return 0;
  let id = roleIds.get(role);
  if (id === undefined) roleIds.set(role, (id = roleIds.size + 1));
  return id;
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
  if (a.dtype !== b.dtype || (a.dtype !== 'f32' && a.dtype !== 'f16'))
    throw new Error(`matmul: operands are ${a.dtype} and ${b.dtype} (want both f32 or both f16)`);

  // forced tiles and paths (benchmarks, tests) are decided every time
  const cacheable = !opts.tile && !opts.subgroupTile && !opts.path;
  let node: NumberTrie<MatmulRecipe> | undefined;
  if (cacheable) {
    let root = recipes.get(gpu);
    if (!root) recipes.set(gpu, (root = new Map()));
    // dtype, ranks, forms, bias and accumulation as bits, then the sizes, alpha, splits and role
    const flags =
      (a.dtype === 'f16' ? 1 : 0) |
      (a.shape.length === 3 ? 2 : 0) |
      (b.shape.length === 3 ? 4 : 0) |
      (transA ? 8 : 0) |
      (transB ? 16 : 0) |
      (opts.bias ? 32 : 0) |
      (opts.accumulate ? 64 : 0);
    node = root;
    for (const key of [flags, d.batch, d.m, d.n, d.k, opts.alpha ?? NaN, opts.splitK ?? -2, roleId(opts.role)]) node = trieChild(node, key);
  }
  let r = node?.get(TRIE_LEAF) as MatmulRecipe | undefined;
  if (!r) {
    r = matmulRecipe(gpu, a.dtype, d, transA, transB, opts);
    node?.set(TRIE_LEAF, r);
  }

  const out = opts.out ?? gpu.tensor(outShape, 'f32', 'matmul');
  const splits = r.splits;
  const part = r.sumPass ? gpu.tensor([d.batch * splits, d.m, d.n], 'f32', 'matmul-splitk') : out;
  gpu.dispatch(r.kernel, {
    params: r.params,
    uniforms: { M: d.m, N: d.n, K: d.k, strideA: d.strideA, strideB: d.strideB, alpha: r.sumPass ? 1 : (opts.alpha ?? 1), splits, kChunk: r.kChunk },
    bindings: { a, b, out: part, bias: r.sumPass ? undefined : opts.bias },
    workgroups: r.workgroups,
    label: r.label,
  });
  if (r.sumPass) {
    const total = d.batch * d.m * d.n;
    gpu.dispatch(SPLITK_SUM, {
      params: r.sumParams!,
      uniforms: { total, mn: d.m * d.n, n: d.n, splits, alpha: opts.alpha ?? 1 },
      bindings: { part, out, bias: opts.bias },
      workgroups: r.sumWorkgroups,
      label: `${r.label} splitk-sum`,
    });
    part.release(); // later users of the buffer are ordered after this dispatch
  }
  return out;
}

/** Path, tile, K splits and kernel variant of one product (see matmul). */
function matmulRecipe(gpu: Gpu, dtype: 'f32' | 'f16', d: Dims, transA: boolean, transB: boolean, opts: MatmulOptions): MatmulRecipe {
  let path = matmulPath(gpu, dtype);
  // Dawn wants a binding a subgroup-matrix store writes to hold one whole 16x16 f32 fragment
  const tinyOut = d.batch * d.m * d.n < 256;
  if (opts.path && opts.path !== path) {
    if (opts.path === 'f16' && path === 'subgroup-matrix') path = 'f16';
    else throw new Error(`matmul: path ${opts.path} is not available for ${dtype} operands on this device (${path})`);
  } else if (path === 'subgroup-matrix' && tinyOut) {
    if (opts.path) throw new Error(`matmul: the subgroup-matrix path needs at least 256 outputs (got ${d.batch * d.m * d.n})`);
    path = 'f16';
  }
  const maxBinding = gpu.device.limits.maxStorageBufferBindingSize;
  const label = `${opts.role ?? 'matmul'} ${d.batch > 1 ? `${d.batch}x` : ''}${d.m}x${d.k}x${d.n}${transA ? ' tA' : ''}${transB ? ' tB' : ''}${path === 'f32' ? '' : ` ${path}`}`;
  const vec = {
    // vec4 access needs the operand's contiguous dimension to be a multiple of 4
    VEC_A: (transA ? d.m : d.k) % 4 === 0,
    VEC_B: (transB ? d.k : d.n) % 4 === 0,
  };
  let recipe: Omit<MatmulRecipe, 'sumParams' | 'sumWorkgroups'>;
  if (path === 'subgroup-matrix') {
    const plan = chooseSubgroupPlan(gpu, d.m, d.n, d.k, d.batch, transA, transB);
    const tile = opts.subgroupTile ?? plan.tile;
    checkSubgroupTile(tile);
    if (tile.DIRECT && !directFits(tile, d.m, d.n, d.k))
      throw new Error(`matmul: the direct subgroup tile needs whole tiles (M % ${sgBM(tile)}, N % ${sgBN(tile)}, K % 32 zero), not ${d.m}x${d.k}x${d.n}`);
    let splits = Math.max(1, Math.min(opts.splitK ?? plan.splitK, Math.ceil(d.k / tile.BK)));
    while (splits > 1 && d.batch * splits * d.m * d.n * 4 > maxBinding) splits--;
    splits = evenSplits(d.k, splits);
    const v = subgroupVariant(tile, { ...d, bias: Boolean(opts.bias), accumulate: opts.accumulate, splits });
    if (!subgroupTileFits(gpu, tile, transA, transB, v.stageC))
      throw new Error(`matmul: subgroup tile ${JSON.stringify(tile)} exceeds this device's workgroup limits`);
    const kChunk = splits > 1 ? splitChunk(d.k, splits) : Math.max(tile.BK, Math.ceil(d.k / tile.BK) * tile.BK);
    const depth = tile.PREFETCH ?? 1;
    const strips = Boolean(tile.STRIPS) && !tile.DIRECT;
    recipe = {
      kernel: MATMUL_SUBGROUP,
      params: Object.freeze({
        SG_M: tile.SG_M,
        SG_N: tile.SG_N,
        FM: tile.FM,
        FN: tile.FN,
        BK: tile.BK,
        GROUP_M: tile.GROUP_M,
        DIRECT: Boolean(tile.DIRECT),
        BUFFERS: tile.BUFFERS ?? 2,
        SINGLE: (tile.BUFFERS ?? 2) === 1,
        KSTEPS: tile.BK / 16,
        SUBGROUP: gpu.subgroupMatrix!.subgroupSize,
        TRANS_A: transA,
        TRANS_B: transB,
        WHOLE: v.whole,
        STAGE_C: v.stageC,
        LOAD_VEC8: v.load === 'vec8' || v.load === 'vec8r',
        LOAD_ROT: v.load === 'vec8r',
        LOAD_U32: v.load === 'u32',
        PRODUCERS: v.producers,
        WS: v.producers > 0,
        DEPTH: depth,
        // the tiles' strips (rows of a flat tile when not STRIPS), see the shader's header
        STRIPS: strips,
        A_COLSPLIT: strips && transA,
        B_COLSPLIT: strips && !transB,
        // loads issued after the store they refill, not at the top of the step
        AHEAD: v.producers > 0 || depth > 1,
        // whole tiles have every contiguous size a multiple of 16
        VEC_A: (v.whole || vec.VEC_A) && !tile.DIRECT,
        VEC_B: (v.whole || vec.VEC_B) && !tile.DIRECT,
        HAS_BIAS: Boolean(opts.bias) && !v.sumPass,
        ACCUMULATE: Boolean(opts.accumulate) && !v.sumPass,
      }),
      workgroups: [Math.ceil(d.n / sgBN(tile)), Math.ceil(d.m / sgBM(tile)), d.batch * splits],
      label,
      splits,
      kChunk,
      sumPass: v.sumPass,
    };
  } else {
    const tile = opts.tile ?? chooseMatmulPlan(gpu, d.m, d.n, d.k, d.batch).tile;
    checkTile(tile);
    if (!tileFits(gpu, tile)) throw new Error(`matmul: tile ${JSON.stringify(tile)} exceeds this device's workgroup limits`);
    // K per split, a multiple of BK; the workspace must fit one binding
    let splits = Math.max(1, Math.min(opts.splitK ?? chooseSplitK(tile, d.m, d.n, d.k, d.batch), Math.ceil(d.k / tile.BK)));
    while (splits > 1 && d.batch * splits * d.m * d.n * 4 > maxBinding) splits--;
    splits = evenSplits(d.k, splits);
    const kChunk = splits > 1 ? splitChunk(d.k, splits) : Math.max(tile.BK, Math.ceil(d.k / tile.BK) * tile.BK);
    recipe = {
      kernel: MATMUL,
      params: Object.freeze({
        ...tile,
        ELEM: path === 'f16' ? 'f16' : 'f32',
        F16: path === 'f16',
        TRANS_A: transA,
        TRANS_B: transB,
        ...vec,
        VEC_C: d.n % 4 === 0,
        HAS_BIAS: Boolean(opts.bias) && splits === 1,
        ACCUMULATE: Boolean(opts.accumulate) && splits === 1,
      }),
      workgroups: [Math.ceil(d.n / tile.BN), Math.ceil(d.m / tile.BM), d.batch * splits],
      label,
      splits,
      kChunk,
      sumPass: splits > 1,
    };
  }
  const total = d.batch * d.m * d.n;
  return {
    ...recipe,
    sumParams: recipe.sumPass ? Object.freeze({ WG: 256, HAS_BIAS: Boolean(opts.bias), ACCUMULATE: Boolean(opts.accumulate) }) : null,
    sumWorkgroups: gpu.grid1D(Math.ceil(total / 256)),
  };
}
