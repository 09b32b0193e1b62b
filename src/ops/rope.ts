// Rotary position embedding (forward, and backward as the inverse rotation) on x[T, heads*headDim].
// Angles are computed on the CPU in float64 and uploaded once per (headDim, theta) as an f32
// cos/sin table, so the GPU result matches a float64 reference to f32 rounding even at large
// positions (f32 position*frequency products would lose ~1e-4 rad at position 2048).
// rope() turns one tensor, ropeInputs() q and k in one dispatch (shaders/rope.wgsl);
// ropeSideBySide() and its inverse work on q, k and v side by side in each row of one tensor, the
// product of their stacked weights (shaders/rope-qkv.wgsl; model/block-weights.ts).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { checkHalfOut, storageBindingsFit, type HalfOut } from './cast';
import { ropeFrequencies, type RopeOptions, type RopeScaling } from '../reference/rope';

export type { RopeOptions } from '../reference/rope';

const WG = 256;

const ROPE = defineKernel({
  shader: 'rope',
  uniforms: {
    pairs: 'u32',
    heads: 'u32',
    D: 'u32',
    seqLen: 'u32',
    offset: 'u32',
    slot: 'u32',
    rep: 'u32',
    pairs2: 'u32',
    heads2: 'u32',
    rep2: 'u32',
    slot2: 'u32',
  },
  bindings: { x: 'read', table: 'read', y: 'write', y16: 'write?', overflow: 'write?', x2: 'read?', y2: 'write?', y216: 'write?' },
});
/** Tables grow in steps of this many positions. */
const TABLE_STEP = 1024;

/** cos/sin of position * ropeFrequencies(...)[i], interleaved as [pos][i][cos, sin]. */
export function ropeTable(headDim: number, theta: number, positions: number, scaling?: RopeScaling, rotaryDim?: number): Float32Array {
  const half = headDim / 2;
  const out = new Float32Array(positions * half * 2);
  const freqs = ropeFrequencies(headDim, theta, scaling, rotaryDim);
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

function tableFor(gpu: Gpu, o: Omit<RopeOptions, 'heads'>, positions: number): Tensor {
  const { headDim, theta, scaling, rotaryDim } = o;
  let perGpu = tables.get(gpu);
  if (!perGpu) tables.set(gpu, (perGpu = new Map()));
  const key = `${headDim}|${theta}|${scaling ? JSON.stringify(scaling) : ''}|${rotaryDim ?? headDim}`;
  const have = perGpu.get(key);
  if (have && have.positions >= positions) return have.tensor;
  const n = Math.ceil(positions / TABLE_STEP) * TABLE_STEP;
  const tensor = gpu.upload(ropeTable(headDim, theta, n, scaling, rotaryDim), [n, headDim / 2, 2], `rope.table.${key}`);
  // Dispatches already encoded with the old table run before anything reuses its buffer.
  have?.tensor.release();
  perGpu.set(key, { positions: n, tensor });
  return tensor;
}

/**
 * One tensor a RoPE dispatch turns: x [T, heads*headDim] token-major or, with `splitIn`, in the
 * matmul attention path's group-major head split with that many query heads per kv head (the
 * backward's dq or dk before their merge; ops/attention-matmul.ts). With `half`, the result's f16
 * copy too (ops/cast.ts, HalfOut), token-major or, with `splitOut`, in the head split.
 */
export interface RopeInput {
  x: Tensor;
  heads: number;
  half?: HalfOut | null;
  splitOut?: number;
  splitIn?: number;
}

/** Storage buffers of a dispatch turning `parts` (table and outputs included). */
function storageBuffers(parts: readonly RopeInput[]): number {
  return 1 + parts.length * (parts[0].half ? 3 : 2) + (parts[0].half ? 1 : 0);
}

/** Rotates each input (one or two) by its positions' angles, in one dispatch where the two agree on f16 copies and layouts and the device binds them. */
export function ropeInputs(gpu: Gpu, parts: readonly RopeInput[], o: Omit<RopeOptions, 'heads'>): Tensor[] {
  if (parts.length < 1 || parts.length > 2) throw new Error(`rope: 1 or 2 inputs, got ${parts.length}`);
  const [a, b] = parts;
  const together =
    !b ||
    (Boolean(a.half) === Boolean(b.half) &&
      (a.splitOut === undefined) === (b.splitOut === undefined) &&
      (a.splitIn === undefined) === (b.splitIn === undefined) &&
      (!a.half || a.half.counts === b.half!.counts) &&
      storageBindingsFit(gpu, storageBuffers(parts)));
  if (!together) return parts.map((part) => encodeRope(gpu, [part], o)[0]);
  return encodeRope(gpu, parts, o);
}

/**
 * x turned by its positions' angles (or back, o.inverse); with `half`, the result's f16 copy too
 * (ops/cast.ts, HalfOut), token-major as the result or, with `splitRep` (query heads per kv head;
 * 1 for k), in the matmul attention path's head split (ops/attention-matmul.ts, headSplitTarget).
 */
export function rope(gpu: Gpu, x: Tensor, o: RopeOptions, out?: Tensor, half?: HalfOut | null, splitRep?: number): Tensor {
  return encodeRope(gpu, [{ x, heads: o.heads, half, splitOut: splitRep }], o, out)[0];
}

/** The checks of one input; its pair count. */
function checkInput(part: RopeInput, o: Omit<RopeOptions, 'heads'>): number {
  const D = o.headDim;
  const width = part.heads * D;
  if (D % 2 !== 0) throw new Error(`rope: headDim ${D} is odd`);
  if (part.x.size % width !== 0) throw new Error(`rope: x has ${part.x.size} elements, not a multiple of heads*headDim=${width}`);
  const offset = o.positionOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`rope: positionOffset ${offset} must be a non-negative integer`);
  const T = part.x.size / width;
  const split = (rep: number | undefined) => rep !== undefined && (part.heads % rep !== 0 || offset !== 0 || T % o.seqLen !== 0);
  if ((part.splitOut !== undefined && !part.half) || split(part.splitOut) || split(part.splitIn))
    throw new Error(
      `rope: a head split needs heads (${part.heads}) a multiple of its query heads per kv head, whole sequences, no position offset (and an f16 target for the copy)`,
    );
  if (part.splitOut !== undefined && part.splitIn !== undefined && part.splitOut !== part.splitIn)
    throw new Error('rope: the input and copy splits must have the same query heads per kv head');
  return T * part.heads * (D / 2);
}

function encodeRope(gpu: Gpu, parts: readonly RopeInput[], o: Omit<RopeOptions, 'heads'>, out?: Tensor): Tensor[] {
  const D = o.headDim;
  const offset = o.positionOffset ?? 0;
  const pairs = parts.map((part) => checkInput(part, o));
  const T = Math.max(...parts.map((part) => part.x.size / (part.heads * D)));
  const table = tableFor(gpu, o, offset + Math.min(o.seqLen, T));
  const ys = parts.map((part, i) => (i === 0 && out ? out : gpu.tensor(part.splitIn !== undefined ? [T, part.heads * D] : part.x.shape, 'f32', 'rope')));
  parts.forEach((part, i) => part.half && checkHalfOut('rope', ys[i], part.half));
  const [a, b] = parts;
  const rep = (part: RopeInput | undefined) => part?.splitOut ?? part?.splitIn ?? 1;
  gpu.dispatch(ROPE, {
    params: {
      WG,
      HALF: o.style === 'half',
      INVERSE: Boolean(o.inverse),
      HALF_OUT: Boolean(a.half),
      SPLIT_OUT: a.splitOut !== undefined,
      SPLIT_IN: a.splitIn !== undefined,
      PAIR: b !== undefined,
    },
    uniforms: {
      pairs: pairs[0],
      heads: a.heads,
      D,
      seqLen: o.seqLen,
      offset,
      slot: a.half?.slot ?? 0,
      rep: rep(a),
      pairs2: pairs[1] ?? 0,
      heads2: b?.heads ?? 0,
      rep2: rep(b),
      slot2: b?.half?.slot ?? 0,
    },
    bindings: { x: a.x, table, y: ys[0], y16: a.half?.copy, overflow: a.half?.counts, x2: b?.x, y2: ys[1], y216: b?.half?.copy },
    workgroups: gpu.grid1D(Math.ceil((pairs[0] + (pairs[1] ?? 0)) / WG)),
    label: o.inverse ? 'rope.inverse' : 'rope',
  });
  return ys;
}

const ROPE_QKV = defineKernel({
  shader: 'rope-qkv',
  uniforms: {
    D: 'u32',
    seqLen: 'u32',
    heads: 'u32',
    kvHeads: 'u32',
    rep: 'u32',
    slotQ: 'u32',
    slotK: 'u32',
    slotV: 'u32',
    pairsQ: 'u32',
    pairsK: 'u32',
    pairsV: 'u32',
  },
  bindings: {
    table: 'read',
    dq: 'read?',
    dk: 'read?',
    dv: 'read?',
    dqkv: 'write?',
    dqkv16: 'write?',
    qkv: 'read?',
    q: 'write?',
    k: 'write?',
    v: 'write?',
    q16: 'write?',
    k16: 'write?',
    overflow: 'write?',
    v16: 'write?',
  },
});

/** RoPE for q, k and v side by side: the options of rope() for whole sequences (no position offset), and the kv heads. */
export interface SideBySideRopeOptions extends Omit<RopeOptions, 'inverse' | 'positionOffset'> {
  kvHeads: number;
}

/** Tokens and the threads' pair counts of q, k and v; checks that tokens are whole sequences. */
function sideBySidePairs(op: string, tokens: number, o: SideBySideRopeOptions) {
  if (o.headDim % 2 !== 0) throw new Error(`${op}: headDim ${o.headDim} is odd`);
  if (tokens % o.seqLen !== 0 || o.heads % o.kvHeads !== 0)
    throw new Error(`${op}: ${tokens} tokens are not whole sequences of ${o.seqLen}, or heads ${o.heads} not a multiple of ${o.kvHeads}`);
  const pairs = (heads: number) => (tokens * heads * o.headDim) / 2;
  return { pairsQ: pairs(o.heads), pairsK: pairs(o.kvHeads), pairsV: pairs(o.kvHeads) };
}

/**
 * q and k turned and v copied out of qkv [T, (heads + 2·kvHeads)·D], where they lie side by side
 * (the product of their stacked weights), in one dispatch (shaders/rope-qkv.wgsl). With `splits`,
 * q's and k's f16 copies in the matmul attention path's head split (ops/attention-matmul.ts,
 * headSplitTarget: heads / kvHeads query heads per kv head, and 1), and v's where given (1; one
 * storage binding more: ropeSplitsV).
 */
export function ropeSideBySide(
  gpu: Gpu,
  qkv: Tensor,
  o: SideBySideRopeOptions,
  splits?: { q: HalfOut; k: HalfOut; v?: HalfOut | null } | null,
): { q: Tensor; k: Tensor; v: Tensor } {
  const D = o.headDim;
  const W = (o.heads + 2 * o.kvHeads) * D;
  if (qkv.size % W !== 0) throw new Error(`rope: q, k and v side by side need rows of ${W}, got [${qkv.shape}]`);
  const T = qkv.size / W;
  const n = sideBySidePairs('rope', T, o);
  const q = gpu.tensor([T, o.heads * D], 'f32', 'rope.q');
  const [k, v] = [gpu.tensor([T, o.kvHeads * D], 'f32', 'rope.k'), gpu.tensor([T, o.kvHeads * D], 'f32', 'rope.v')];
  if (splits) {
    checkHalfOut('rope', q, splits.q);
    checkHalfOut('rope', k, splits.k);
    if (splits.v) checkHalfOut('rope', v, splits.v);
    if (splits.q.counts !== splits.k.counts || (splits.v && splits.v.counts !== splits.q.counts))
      throw new Error('rope: q, k and v count their f16 overflow on one counter tensor');
    if (splits.v && !ropeSplitsV(gpu)) throw new Error("rope: v's f16 split exceeds the device's storage bindings per stage");
  }
  const vHalf = splits?.v ?? null;
  gpu.dispatch(ROPE_QKV, {
    params: { WG, HALF: o.style === 'half', INVERSE: false, HALF_OUT: Boolean(splits), V_HALF: Boolean(vHalf) },
    uniforms: {
      D,
      seqLen: o.seqLen,
      heads: o.heads,
      kvHeads: o.kvHeads,
      rep: o.heads / o.kvHeads,
      slotQ: splits?.q.slot ?? 0,
      slotK: splits?.k.slot ?? 0,
      slotV: vHalf?.slot ?? 0,
      ...n,
    },
    bindings: {
      table: tableFor(gpu, o, Math.min(o.seqLen, T)),
      qkv,
      q,
      k,
      v,
      q16: splits?.q.copy,
      k16: splits?.k.copy,
      v16: vHalf?.copy,
      overflow: splits?.q.counts,
    },
    workgroups: gpu.grid1D(Math.ceil((n.pairsQ + n.pairsK + n.pairsV) / WG)),
    label: 'rope',
  });
  return { q, k, v };
}

/** Whether ropeSideBySide can write v's f16 split too: 9 storage buffers (the forward's 8 and v16). */
export function ropeSplitsV(gpu: Gpu): boolean {
  return storageBindingsFit(gpu, 9);
}

/**
 * dq and dk turned back and dv copied into one [T, (heads + 2·kvHeads)·D] tensor, side by side (the
 * operand of the stacked weights' products), in one dispatch; `splitIn`: the three come in the
 * matmul attention path's head split (its unmerged gradients). With `half`, the result's f16 copy too.
 */
export function ropeSideBySideInverse(
  gpu: Gpu,
  g: { dq: Tensor; dk: Tensor; dv: Tensor },
  o: SideBySideRopeOptions,
  splitIn: boolean,
  half?: HalfOut | null,
): Tensor {
  const D = o.headDim;
  const T = g.dq.size / (o.heads * D);
  if (!Number.isInteger(T) || g.dk.size !== T * o.kvHeads * D || g.dv.size !== g.dk.size) throw new Error('rope: dq, dk and dv do not fit the heads');
  const n = sideBySidePairs('rope', T, o);
  const dqkv = gpu.tensor([T, (o.heads + 2 * o.kvHeads) * D], 'f32', 'rope.dqkv');
  if (half) checkHalfOut('rope', dqkv, half);
  gpu.dispatch(ROPE_QKV, {
    params: { WG, HALF: o.style === 'half', INVERSE: true, SPLIT_IN: splitIn, HALF_OUT: Boolean(half), V_HALF: false },
    uniforms: { D, seqLen: o.seqLen, heads: o.heads, kvHeads: o.kvHeads, rep: o.heads / o.kvHeads, slotQ: half?.slot ?? 0, slotK: 0, slotV: 0, ...n },
    bindings: {
      table: tableFor(gpu, o, Math.min(o.seqLen, T)),
      dq: g.dq,
      dk: g.dk,
      dv: g.dv,
      dqkv,
      dqkv16: half?.copy,
      overflow: half?.counts,
    },
    workgroups: gpu.grid1D(Math.ceil((n.pairsQ + n.pairsK + n.pairsV) / WG)),
    label: 'rope.inverse',
  });
  return dqkv;
}
