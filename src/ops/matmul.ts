// Matrix multiply for every form training needs:
//   y  = x·Wᵀ (+bias)   matmul(gpu, x, W, { transB: true, bias })
//   dx = dy·W           matmul(gpu, dy, W)
//   dW = dyᵀ·x          matmul(gpu, dy, x, { transA: true, accumulate: true, out: dW })
// Kernel: shaders/matmul.wgsl (register-blocked, double-buffered workgroup tiles).
import type { Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';

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

/** Workgroups below which a larger tile leaves most of a big GPU idle. */
const MIN_WORKGROUPS = 256;

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
  const ok =
    t.TM % 4 === 0 && t.TN % 4 === 0 && t.BK % 4 === 0 && t.BM % t.TM === 0 && t.BN % t.TN === 0 && t.GROUP_M >= 1;
  if (!ok) throw new Error(`matmul: bad tile ${JSON.stringify(t)}`);
}

/** Picks the largest tile that still gives the GPU enough workgroups for this output. */
export function chooseTile(gpu: Gpu, m: number, n: number, batch: number): MatmulTile {
  const order = [MATMUL_TILES.large, MATMUL_TILES.wide, MATMUL_TILES.medium, MATMUL_TILES.small].filter((t) => tileFits(gpu, t));
  for (const t of order) {
    const wgs = Math.ceil(m / t.BM) * Math.ceil(n / t.BN) * batch;
    if (wgs >= MIN_WORKGROUPS) return t;
  }
  return order[order.length - 1] ?? MATMUL_TILES.small;
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
  const ra = a.shape.length, rb = b.shape.length;
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

  const tile = opts.tile ?? chooseTile(gpu, d.m, d.n, d.batch);
  checkTile(tile);
  if (!tileFits(gpu, tile)) throw new Error(`matmul: tile ${JSON.stringify(tile)} exceeds this device's workgroup limits`);

  const buffers = [a, b, out];
  if (opts.bias) buffers.push(opts.bias);
  gpu.dispatch({
    shader: 'matmul.wgsl',
    params: {
      ...tile,
      TRANS_A: transA,
      TRANS_B: transB,
      // vec4 access needs the operand's contiguous dimension to be a multiple of 4
      VEC_A: (transA ? d.m : d.k) % 4 === 0,
      VEC_B: (transB ? d.k : d.n) % 4 === 0,
      VEC_C: d.n % 4 === 0,
      HAS_BIAS: Boolean(opts.bias),
      ACCUMULATE: Boolean(opts.accumulate),
    },
    uniforms: [d.m, d.n, d.k, d.strideA, d.strideB, f32(opts.alpha ?? 1)],
    buffers,
    workgroups: [Math.ceil(d.n / tile.BN), Math.ceil(d.m / tile.BM), d.batch],
    label: `matmul ${d.batch > 1 ? `${d.batch}x` : ''}${d.m}x${d.k}x${d.n}${transA ? ' tA' : ''}${transB ? ' tB' : ''}`,
  });
  return out;
}
