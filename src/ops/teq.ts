// Wrappers of TEQ's kernels.
import type { Gpu } from '../gpu/gpu';
import { f32 } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';

export type TeqEstimator = 'ste-full' | 'ste-round';

export function clampMin(gpu: Gpu, x: Tensor, lo: number): void {
  gpu.dispatch({ shader: 'clamp-min.wgsl', params: { WG: 256 }, uniforms: [x.size, f32(lo)], buffers: [x], workgroups: gpu.grid1D(Math.ceil(x.size / 256)), label: 'clamp-min' });
}

/** The Linears that share one α: weights [rows_m, cols] with the same cols (1 to 3 of them). */
function checkMembers(op: string, weights: Tensor[], cols: number): void {
  if (weights.length < 1 || weights.length > 3) throw new Error(`${op}: 1 to 3 member Linears, got ${weights.length}`);
  for (const w of weights) if (w.shape.length !== 2 || w.shape[1] !== cols) throw new Error(`${op}: member [${w.shape}] does not have ${cols} columns`);
}

function groupUniforms(weights: Tensor[], spec: QuantSpec, alphaOffset: number): number[] {
  const cols = weights[0].shape[1];
  const rows = [0, 1, 2].map((m) => weights[m]?.shape[0] ?? 0);
  return [cols, effectiveGroupSize(spec, cols), groupCount(spec, cols), spec.bits, spec.symmetric ? 1 : 0, alphaOffset, ...rows];
}

const GROUP_WG = 64;

function groupGrid(gpu: Gpu, weights: Tensor[], spec: QuantSpec): [number, number] {
  const cols = weights[0].shape[1];
  const rows = weights.reduce((a, w) => a + w.shape[0], 0);
  return gpu.grid1D(Math.ceil((rows * groupCount(spec, cols)) / GROUP_WG));
}

/**
 * Effective weights FQ(W·diag(α))·diag(1/α) of the Linears sharing α = alpha[alphaOffset ..
 * alphaOffset + cols) into outs (same shapes), in one dispatch (shaders/teq-effective.wgsl;
 * the same arithmetic as quantizeWeight with colScale, dequant and unscale).
 */
export function teqEffectiveGroup(gpu: Gpu, weights: Tensor[], alpha: Tensor, alphaOffset: number, outs: Tensor[], spec: QuantSpec): void {
  const cols = weights[0]?.shape[1];
  checkMembers('teqEffectiveGroup', weights, cols);
  if (outs.length !== weights.length || outs.some((o, i) => o.size !== weights[i].size)) throw new Error('teqEffectiveGroup: one output per member, same size');
  if (alphaOffset + cols > alpha.size) throw new Error(`teqEffectiveGroup: α [${alphaOffset}, ${alphaOffset + cols}) outside [${alpha.size}]`);
  const buffers: Tensor[] = [alpha];
  weights.forEach((w, m) => buffers.push(w, outs[m]));
  gpu.dispatch({
    shader: 'teq-effective.wgsl',
    params: { WG: GROUP_WG, M2: weights.length >= 2, M3: weights.length >= 3 },
    uniforms: groupUniforms(weights, spec, alphaOffset),
    buffers,
    workgroups: groupGrid(gpu, weights, spec),
    label: 'teq-effective',
  });
}

/**
 * dα contributions (twin: teqGradContribRef in src/reference/teq.ts) of the Linears sharing α, written as [Σ rows, cols] (members
 * stacked in order) at contribOffset of `contrib`, in one dispatch (shaders/teq-grad-group.wgsl).
 */
export function teqGradGroup(
  gpu: Gpu, weights: Tensor[], dWeff: Tensor[], alpha: Tensor, alphaOffset: number,
  contrib: Tensor, contribOffset: number, spec: QuantSpec, estimator: TeqEstimator,
): void {
  const cols = weights[0]?.shape[1];
  checkMembers('teqGradGroup', weights, cols);
  if (dWeff.length !== weights.length || dWeff.some((d, i) => d.size !== weights[i].size)) throw new Error('teqGradGroup: one dWeff per member, same size');
  const rows = weights.reduce((a, w) => a + w.shape[0], 0);
  if (contribOffset + rows * cols > contrib.size) throw new Error('teqGradGroup: contributions do not fit');
  if (alphaOffset + cols > alpha.size) throw new Error(`teqGradGroup: α [${alphaOffset}, ${alphaOffset + cols}) outside [${alpha.size}]`);
  const buffers: Tensor[] = [alpha, contrib];
  weights.forEach((w, m) => buffers.push(w, dWeff[m]));
  gpu.dispatch({
    shader: 'teq-grad-group.wgsl',
    params: { WG: GROUP_WG, FULL: estimator === 'ste-full', M2: weights.length >= 2, M3: weights.length >= 3 },
    uniforms: [...groupUniforms(weights, spec, alphaOffset), contribOffset],
    buffers,
    workgroups: groupGrid(gpu, weights, spec),
    label: 'teq-grad-group',
  });
}

/** A block of contributions: rows x cols at contribOffset, its column sums go to outOffset. */
export interface TeqColSumEntry {
  contribOffset: number;
  rows: number;
  cols: number;
  outOffset: number;
}

const COLSUM_WG = 64;

/** The per-workgroup table of teqColSum (upload once, reuse every step). */
export function teqColSumTable(entries: TeqColSumEntry[]): Uint32Array {
  const rows: number[] = [];
  for (const e of entries) for (let c = 0; c < e.cols; c += COLSUM_WG) rows.push(e.contribOffset, e.rows, e.cols, e.outOffset, c);
  return Uint32Array.from(rows);
}

/** grad[outOffset + c] = Σ_r contrib[contribOffset + r·cols + c] for every entry of the table, one dispatch. */
export function teqColSum(gpu: Gpu, table: Tensor, contrib: Tensor, grad: Tensor): void {
  const workgroups = table.size / 5;
  if (!Number.isInteger(workgroups) || table.dtype !== 'u32') throw new Error('teqColSum: table must come from teqColSumTable');
  gpu.dispatch({
    shader: 'teq-colsum.wgsl',
    params: { WG: COLSUM_WG },
    uniforms: [workgroups],
    buffers: [table, contrib, grad],
    workgroups: gpu.grid1D(workgroups),
    label: 'teq-colsum',
  });
}
