// Teach: the numbers behind one quantization group of a finished run, for a classroom walk-through.
// Pure CPU code on small arrays (one row's group of one Linear), so the worker can answer at once.
// Under GPTQ's act-order a group is the input columns its g_idx names (shown in ascending order).
import { roundEven } from '../reference/quantize';
import { effectiveGroupSize, groupCount, type QuantizedLinear, type QuantSpec } from '../core/quant-spec';

export interface TeachLayerInfo {
  name: string;
  rows: number;
  cols: number;
  groups: number;
  /** GPTQ act-order groups (g_idx). */
  actOrder: boolean;
}

export interface TeachData {
  layer: string;
  row: number;
  group: number;
  spec: QuantSpec;
  /** First column of the group in the row. */
  col0: number;
  /** The input column of each entry: col0, col0 + 1, … or, for GPTQ act-order groups (g_idx), the group's columns in ascending order. */
  columns: number[];
  /** The groups follow GPTQ's act-order (g_idx), not runs of consecutive inputs. */
  actOrder: boolean;
  /** The source model's weights of the group. */
  original: number[];
  /** The weights after the method's transform (AWQ/TEQ scaling, clipping); equal to original without one. */
  transformed: number[];
  /** transformed / original per column (1 where the original is 0): the effective per-channel scale. */
  ratio: number[];
  scale: number;
  zero: number;
  /** The stored codes of the group. */
  codes: number[];
  /** (code - zero) * scale. */
  dequantized: number[];
  /** clamp(roundEven(transformed / scale) + zero, 0, 2^bits - 1): what round-to-nearest would store. */
  nearest: number[];
}

/**
 * The group `group` of row `row` of a quantized Linear: `original` and `transformed` are the full
 * [rows, cols] weight matrices before and after the method's transform.
 */
export function teachGroup(q: QuantizedLinear, original: Float32Array, transformed: Float32Array, row: number, group: number): TeachData {
  const groups = groupCount(q.spec, q.cols);
  if (!Number.isInteger(row) || row < 0 || row >= q.rows) throw new RangeError(`row must be in 0..${q.rows - 1}, not ${row}`);
  if (!Number.isInteger(group) || group < 0 || group >= groups) throw new RangeError(`group must be in 0..${groups - 1}, not ${group}`);
  const gs = effectiveGroupSize(q.spec, q.cols);
  const columns = q.gIdx
    ? Array.from(q.gIdx).flatMap((k, c) => (k === group ? [c] : []))
    : Array.from({ length: Math.min(q.cols, (group + 1) * gs) - group * gs }, (_, i) => group * gs + i);
  if (!columns.length) throw new Error(`${q.name}: no input column is in group ${group} (g_idx)`);
  const scale = q.scales[row * groups + group];
  const zero = q.zeros[row * groups + group];
  const maxCode = 2 ** q.spec.bits - 1;
  const d: TeachData = {
    layer: q.name,
    row,
    group,
    spec: q.spec,
    col0: columns[0],
    columns,
    actOrder: !!q.gIdx,
    scale,
    zero,
    original: [],
    transformed: [],
    ratio: [],
    codes: [],
    dequantized: [],
    nearest: [],
  };
  for (const c of columns) {
    const i = row * q.cols + c;
    const w = original[i];
    const wt = transformed[i];
    const code = q.codes[i];
    d.original.push(w);
    d.transformed.push(wt);
    d.ratio.push(w === 0 ? 1 : wt / w);
    d.codes.push(code);
    d.dequantized.push((code - zero) * scale);
    const n = scale > 0 ? roundEven(wt / scale) + zero : zero;
    d.nearest.push(Math.min(maxCode, Math.max(0, n)));
  }
  return d;
}

export function teachLayerInfo(q: QuantizedLinear): TeachLayerInfo {
  return { name: q.name, rows: q.rows, cols: q.cols, groups: groupCount(q.spec, q.cols), actOrder: !!q.gIdx };
}

/**
 * The row group with the most stored codes off round-to-nearest (the first such group on a tie), or
 * null when every code is the nearest (RTN): where Teach opens, so its third step shows flips.
 */
export function mostFlippedGroup(q: QuantizedLinear, transformed: Float32Array): { row: number; group: number; flips: number } | null {
  if (q.gIdx) return null;
  const groups = groupCount(q.spec, q.cols);
  const gs = effectiveGroupSize(q.spec, q.cols);
  const maxCode = 2 ** q.spec.bits - 1;
  let best: { row: number; group: number; flips: number } | null = null;
  for (let row = 0; row < q.rows; row++) {
    for (let group = 0; group < groups; group++) {
      const scale = q.scales[row * groups + group];
      const zero = q.zeros[row * groups + group];
      let flips = 0;
      for (let c = group * gs; c < Math.min(q.cols, (group + 1) * gs); c++) {
        const i = row * q.cols + c;
        const n = scale > 0 ? roundEven(transformed[i] / scale) + zero : zero;
        if (q.codes[i] !== Math.min(maxCode, Math.max(0, n))) flips++;
      }
      if (flips > (best?.flips ?? 0)) best = { row, group, flips };
    }
  }
  return best;
}
