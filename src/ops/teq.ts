// Wrappers of TEQ's kernels.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';
import { checkHalfOut, storageBindingsFit, type HalfOut } from './cast';

export type TeqEstimator = 'ste-full' | 'ste-round';

const CLAMP_MIN = defineKernel({ shader: 'clamp-min', uniforms: { n: 'u32', lo: 'f32' }, bindings: { x: 'write' } });
/** The uniforms of a group of 1 to 3 Linears sharing α (member m has rows_m rows; 0 when absent). */
const GROUP_UNIFORMS = {
  cols: 'u32',
  groupSize: 'u32',
  nGroups: 'u32',
  bits: 'u32',
  symmetric: 'u32',
  alphaOffset: 'u32',
  rows0: 'u32',
  rows1: 'u32',
  rows2: 'u32',
} as const;
/** Members 1 and 2 are bound with M2 / M3. */
const EFFECTIVE = defineKernel({
  shader: 'teq-effective',
  uniforms: { ...GROUP_UNIFORMS, slot0: 'u32', slot1: 'u32', slot2: 'u32' },
  bindings: {
    alpha: 'read',
    w0: 'read',
    out0: 'write',
    w1: 'read?',
    out1: 'write?',
    w2: 'read?',
    out2: 'write?',
    overflow: 'write?',
    h0: 'write?',
    h1: 'write?',
    h2: 'write?',
  },
});
const GRAD_GROUP = defineKernel({
  shader: 'teq-grad-group',
  uniforms: { ...GROUP_UNIFORMS, partialOffset: 'u32', chunkRows: 'u32' },
  bindings: { alpha: 'read', partials: 'write', w0: 'read', d0: 'read', w1: 'read?', d1: 'read?', w2: 'read?', d2: 'read?' },
});
const COLSUM = defineKernel({ shader: 'teq-colsum', uniforms: { workgroups: 'u32' }, bindings: { table: 'read', sums: 'read', grad: 'write' } });

export function clampMin(gpu: Gpu, x: Tensor, lo: number): void {
  gpu.dispatch(CLAMP_MIN, {
    params: { WG: 256 },
    uniforms: { n: x.size, lo },
    bindings: { x },
    workgroups: gpu.grid1D(Math.ceil(x.size / 256)),
    label: 'clamp-min',
  });
}

/** The Linears that share one α: weights [rows_m, cols] with the same cols (1 to 3 of them). */
function checkMembers(op: string, weights: Tensor[], cols: number): void {
  if (weights.length < 1 || weights.length > 3) throw new Error(`${op}: 1 to 3 member Linears, got ${weights.length}`);
  for (const w of weights) if (w.shape.length !== 2 || w.shape[1] !== cols) throw new Error(`${op}: member [${w.shape}] does not have ${cols} columns`);
}

function groupUniforms(weights: Tensor[], spec: QuantSpec, alphaOffset: number) {
  const cols = weights[0].shape[1];
  const [rows0, rows1, rows2] = [0, 1, 2].map((m) => weights[m]?.shape[0] ?? 0);
  return {
    cols,
    groupSize: effectiveGroupSize(spec, cols),
    nGroups: groupCount(spec, cols),
    bits: spec.bits,
    symmetric: spec.symmetric ? 1 : 0,
    alphaOffset,
    rows0,
    rows1,
    rows2,
  };
}

/** Invocations of a workgroup of the group kernels (shaders/teq-lanes.wgsl). */
const GROUP_WG = 256;
/** Rows a workgroup of teq-grad-group adds up: about this many elements of a group's columns (at least 16 rows). */
const CHUNK_ELEMENTS = 16384;

/** Four columns a load where every index the kernel forms is a multiple of 4 (the same results as one a load). */
function vec4Fits(weights: Tensor[], spec: QuantSpec, ...offsets: number[]): boolean {
  const cols = weights[0].shape[1];
  return [cols, effectiveGroupSize(spec, cols), ...offsets].every((n) => n % 4 === 0);
}

/** The lane layout of teq-lanes.wgsl: lanes a row, rows a workgroup, column vectors a lane. */
function laneLayout(spec: QuantSpec, cols: number, vec4: boolean): { LANES: number; ROWS: number; VPL: number } {
  const vectors = Math.ceil(effectiveGroupSize(spec, cols) / (vec4 ? 4 : 1));
  const LANES = Math.min(vectors, GROUP_WG);
  return { LANES, ROWS: Math.floor(GROUP_WG / LANES), VPL: Math.ceil(vectors / LANES) };
}

/** Rows of one chunk of teqGradGroup's column sums (by the group size alone, so one and four columns a load agree). */
export function teqChunkRows(spec: QuantSpec, cols: number): number {
  return Math.max(16, Math.floor(CHUNK_ELEMENTS / effectiveGroupSize(spec, cols)));
}

/** Chunks of `rows` stacked rows: the rows of teqGradGroup's output ([chunks, cols]). */
export function teqChunks(rows: number, spec: QuantSpec, cols: number): number {
  return Math.ceil(rows / teqChunkRows(spec, cols));
}

/** Whether teqEffectiveGroup can also write the f16 copies of `members` outputs: the device's storage bindings per stage must hold them. */
export function teqEffectiveHalfFits(gpu: Gpu, members: number): boolean {
  // α, then a weight, an output and an f16 copy per member, and the overflow counters
  return storageBindingsFit(gpu, 2 + 3 * members);
}

/**
 * Effective weights FQ(W·diag(α))·diag(1/α) of the Linears sharing α = alpha[alphaOffset ..
 * alphaOffset + cols) into outs (same shapes), in one dispatch (shaders/teq-effective.wgsl;
 * the same arithmetic as quantizeWeight with colScale, dequant and unscale). With `half` (one per
 * member, on one counter tensor; teqEffectiveHalfFits), the outputs' f16 copies too.
 */
export function teqEffectiveGroup(
  gpu: Gpu,
  weights: Tensor[],
  alpha: Tensor,
  alphaOffset: number,
  outs: Tensor[],
  spec: QuantSpec,
  half?: readonly HalfOut[] | null,
): void {
  const cols = weights[0]?.shape[1];
  checkMembers('teqEffectiveGroup', weights, cols);
  if (outs.length !== weights.length || outs.some((o, i) => o.size !== weights[i].size)) throw new Error('teqEffectiveGroup: one output per member, same size');
  if (alphaOffset + cols > alpha.size) throw new Error(`teqEffectiveGroup: α [${alphaOffset}, ${alphaOffset + cols}) outside [${alpha.size}]`);
  if (half) {
    if (half.length !== weights.length || half.some((h) => h.counts !== half[0].counts))
      throw new Error('teqEffectiveGroup: one f16 copy per member, on one counter tensor');
    half.forEach((h, i) => checkHalfOut('teqEffectiveGroup', outs[i], h));
    if (!teqEffectiveHalfFits(gpu, weights.length))
      throw new Error(`teqEffectiveGroup: ${weights.length} members with f16 copies exceed the device's storage bindings per stage`);
  }
  const vec4 = vec4Fits(weights, spec, alphaOffset);
  const layout = laneLayout(spec, cols, vec4);
  const rows = weights.reduce((a, w) => a + w.shape[0], 0);
  gpu.dispatch(EFFECTIVE, {
    params: { WG: GROUP_WG, ...layout, M2: weights.length >= 2, M3: weights.length >= 3, VEC4: vec4, HALF_OUT: Boolean(half) },
    uniforms: { ...groupUniforms(weights, spec, alphaOffset), slot0: half?.[0]?.slot ?? 0, slot1: half?.[1]?.slot ?? 0, slot2: half?.[2]?.slot ?? 0 },
    bindings: {
      alpha,
      w0: weights[0],
      out0: outs[0],
      w1: weights[1],
      out1: outs[1],
      w2: weights[2],
      out2: outs[2],
      overflow: half?.[0]?.counts,
      h0: half?.[0]?.copy,
      h1: half?.[1]?.copy,
      h2: half?.[2]?.copy,
    },
    workgroups: gpu.grid1D(Math.ceil(rows / layout.ROWS) * groupCount(spec, cols)),
    label: 'teq-effective',
  });
}

/**
 * dα of the Linears sharing α as column sums per chunk of their stacked rows (teqChunkRows), written
 * as [chunks, cols] at partialOffset of `partials` (teqColSum adds the chunks up), in one dispatch
 * (shaders/teq-grad-group.wgsl; each element's contribution is teqGradContribRef's, in
 * src/reference/teq.ts).
 */
export function teqGradGroup(
  gpu: Gpu,
  weights: Tensor[],
  dWeff: Tensor[],
  alpha: Tensor,
  alphaOffset: number,
  partials: Tensor,
  partialOffset: number,
  spec: QuantSpec,
  estimator: TeqEstimator,
): void {
  const cols = weights[0]?.shape[1];
  checkMembers('teqGradGroup', weights, cols);
  if (dWeff.length !== weights.length || dWeff.some((d, i) => d.size !== weights[i].size)) throw new Error('teqGradGroup: one dWeff per member, same size');
  const rows = weights.reduce((a, w) => a + w.shape[0], 0);
  if (partialOffset + teqChunks(rows, spec, cols) * cols > partials.size) throw new Error('teqGradGroup: column sums do not fit');
  if (alphaOffset + cols > alpha.size) throw new Error(`teqGradGroup: α [${alphaOffset}, ${alphaOffset + cols}) outside [${alpha.size}]`);
  const vec4 = vec4Fits(weights, spec, alphaOffset, partialOffset);
  const chunkRows = teqChunkRows(spec, cols);
  gpu.dispatch(GRAD_GROUP, {
    params: { WG: GROUP_WG, ...laneLayout(spec, cols, vec4), FULL: estimator === 'ste-full', M2: weights.length >= 2, M3: weights.length >= 3, VEC4: vec4 },
    uniforms: { ...groupUniforms(weights, spec, alphaOffset), partialOffset, chunkRows },
    bindings: { alpha, partials, w0: weights[0], d0: dWeff[0], w1: weights[1], d1: dWeff[1], w2: weights[2], d2: dWeff[2] },
    workgroups: gpu.grid1D(teqChunks(rows, spec, cols) * groupCount(spec, cols)),
    label: 'teq-grad-group',
  });
}

/** A block of rows x cols at offset (teqGradGroup's column sums a chunk), its column sums go to outOffset. */
export interface TeqColSumEntry {
  offset: number;
  rows: number;
  cols: number;
  outOffset: number;
}

/** teq-colsum: columns a workgroup sums, its invocations (loading the rows), rows per tile in workgroup memory. */
const COLSUM_COLS = 32;
const COLSUM_WG = 256;
const COLSUM_TILE = 64;

/** The per-workgroup table of teqColSum (upload once, reuse every step). */
export function teqColSumTable(entries: TeqColSumEntry[]): Uint32Array {
  const rows: number[] = [];
  for (const e of entries) for (let c = 0; c < e.cols; c += COLSUM_COLS) rows.push(e.offset, e.rows, e.cols, e.outOffset, c);
  return Uint32Array.from(rows);
}

/** grad[outOffset + c] = Σ_r sums[offset + r·cols + c] for every entry of the table, one dispatch. */
export function teqColSum(gpu: Gpu, table: Tensor, sums: Tensor, grad: Tensor): void {
  const workgroups = table.size / 5;
  if (!Number.isInteger(workgroups) || table.dtype !== 'u32') throw new Error('teqColSum: table must come from teqColSumTable');
  gpu.dispatch(COLSUM, {
    params: { WG: COLSUM_WG, COLS: COLSUM_COLS, TILE: COLSUM_TILE },
    uniforms: { workgroups },
    bindings: { table, sums, grad },
    workgroups: gpu.grid1D(workgroups),
    label: 'teq-colsum',
  });
}
