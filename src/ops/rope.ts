// Rotary position embedding (forward, and backward as the inverse rotation) on x[T, heads*headDim].
// Angles are computed on the CPU in float64 and uploaded once per (headDim, theta) as an f32
// cos/sin table, so the GPU result matches a float64 reference to f32 rounding even at large
// positions (f32 position*frequency products would lose ~1e-4 rad at position 2048).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { checkHalfOut, type HalfOut } from './cast';
import { ropeFrequencies, type RopeOptions, type RopeScaling } from '../reference/rope';

export type { RopeOptions } from '../reference/rope';

const WG = 256;

const ROPE = defineKernel({
  shader: 'rope',
  uniforms: { pairs: 'u32', heads: 'u32', D: 'u32', seqLen: 'u32', offset: 'u32', slot: 'u32', rep: 'u32' },
  bindings: { x: 'read', table: 'read', y: 'write', y16: 'write?', overflow: 'write?' },
});
/** Tables grow in steps of this many positions. */
const TABLE_STEP = 1024;

/** cos/sin of position * ropeFrequencies(...)[i], interleaved as [pos][i][cos, sin]. */
export function ropeTable(headDim: number, theta: number, positions: number, scaling?: RopeScaling): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(positions * half * 2);
  const freqs = ropeFrequencies(headDim, theta, scaling);
  for (let i = 0; i < half; i++) {
    const freq = freqs[i];
    for (let pos = 0; pos < positions; pos++) {
      const a = pos * freq;
      out[(pos * half + i) * 2] = Math.cos(a);
      out[(pos * half + i) * 2 + 1] = Math.sin(a);
    }
  }
  return out;
}

const tables = new WeakMap<Gpu, Map<string, { positions: number; tensor: Tensor }>>();

function tableFor(gpu: Gpu, headDim: number, theta: number, positions: number, scaling?: RopeScaling): Tensor {
  let perGpu = tables.get(gpu);
  if (!perGpu) tables.set(gpu, (perGpu = new Map()));
  const key = `${headDim}|${theta}|${scaling ? JSON.stringify(scaling) : ''}`;
  const have = perGpu.get(key);
  if (have && have.positions >= positions) return have.tensor;
  const n = Math.ceil(positions / TABLE_STEP) * TABLE_STEP;
  const tensor = gpu.upload(ropeTable(headDim, theta, n, scaling), [n, headDim / 2, 2], `rope.table.${key}`);
  // Dispatches already encoded with the old table run before anything reuses its buffer.
  have?.tensor.release();
  perGpu.set(key, { positions: n, tensor });
  return tensor;
}

/**
 * x turned by its positions' angles (or back, o.inverse); with `half`, the result's f16 copy too
 * (ops/cast.ts, HalfOut), token-major as the result or, with `splitRep` (query heads per kv head;
 * 1 for k), in the matmul attention path's head split (ops/attention-matmul.ts, headSplitTarget).
 */
export function rope(gpu: Gpu, x: Tensor, o: RopeOptions, out?: Tensor, half?: HalfOut | null, splitRep?: number): Tensor {
  const D = o.headDim;
  const width = o.heads * D;
  if (D % 2 !== 0) throw new Error(`rope: headDim ${D} is odd`);
  if (x.size % width !== 0) throw new Error(`rope: x has ${x.size} elements, not a multiple of heads*headDim=${width}`);
  const offset = o.positionOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`rope: positionOffset ${offset} must be a non-negative integer`);
  const T = x.size / width;
  const pairs = T * o.heads * (D / 2);
  const table = tableFor(gpu, D, o.theta, offset + Math.min(o.seqLen, T), o.scaling);
  const y = out ?? gpu.tensor(x.shape, 'f32', 'rope');
  if (half) checkHalfOut('rope', y, half);
  if (splitRep !== undefined && (!half || o.heads % splitRep !== 0 || offset !== 0 || T % o.seqLen !== 0))
    throw new Error(`rope: a head-split copy needs an f16 target, heads (${o.heads}) a multiple of ${splitRep}, whole sequences and no position offset`);
  gpu.dispatch(ROPE, {
    params: { WG, HALF: o.style === 'half', INVERSE: Boolean(o.inverse), HALF_OUT: Boolean(half), SPLIT_OUT: splitRep !== undefined },
    uniforms: { pairs, heads: o.heads, D, seqLen: o.seqLen, offset, slot: half?.slot ?? 0, rep: splitRep ?? 1 },
    bindings: { x, table, y, y16: half?.copy, overflow: half?.counts },
    workgroups: gpu.grid1D(Math.ceil(pairs / WG)),
    label: o.inverse ? 'rope.inverse' : 'rope',
  });
  return y;
}
