import { describe, expect, it } from 'vitest';
import type { QuantizedLinear } from '../core/quant-spec';
import { mostFlippedGroup, teachGroup, teachLayerInfo } from './teach';

// 2 rows x 6 cols, 2-bit, groups of 4 (so 2 groups; the last has 2 columns).
const q: QuantizedLinear = {
  name: 'model.layers.0.mlp.up_proj',
  rows: 2,
  cols: 6,
  spec: { bits: 2, groupSize: 4, symmetric: false },
  // row 1, group 0 codes (cols 0..3) = [0, 3, 2, 1]: col 2 differs from nearest (1), col 3 too (2).
  codes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 3, 2, 1, 1, 1]),
  scales: Float32Array.from([1, 1, 0.5, 2]),
  zeros: Float32Array.from([0, 0, 1, 0]),
};
const original = Float32Array.from([0, 0, 0, 0, 0, 0, -0.5, 1, 0.2, 0.9, 4, 0]);
// A transform that doubles column 1 and halves column 3.
const transformed = Float32Array.from([0, 0, 0, 0, 0, 0, -0.5, 2, 0.2, 0.45, 4, 0]);

describe('teachGroup', () => {
  it('hand-computed row 1, group 0', () => {
    const d = teachGroup(q, original, transformed, 1, 0);
    expect(d.col0).toBe(0);
    expect(d.scale).toBe(0.5);
    expect(d.zero).toBe(1);
    expect(d.original).toEqual([-0.5, 1, 0.2, 0.9].map(Math.fround));
    expect(d.ratio.map((r) => +r.toFixed(6))).toEqual([1, 2, 1, 0.5]);
    expect(d.codes).toEqual([0, 3, 2, 1]);
    // (q - 1) * 0.5
    expect(d.dequantized).toEqual([-0.5, 1, 0.5, 0]);
    // W_t / s + z = [-1+1, 4+1 -> clamp 3, 0.4+1 -> 1, 0.9+1 -> 2]
    expect(d.nearest).toEqual([0, 3, 1, 2]);
  });

  it('the short last group and round half to even', () => {
    // row 1 group 1: cols 4..5, s = 2, z = 0; 4/2 = 2, 0/2 = 0.
    const d = teachGroup(q, original, transformed, 1, 1);
    expect(d.col0).toBe(4);
    expect(d.original.length).toBe(2);
    expect(d.nearest).toEqual([2, 0]);
    expect(d.dequantized).toEqual([2, 2]);
    // 2.5 -> 2 (half to even), not 3.
    const t2 = Float32Array.from(transformed);
    t2[10] = 5;
    expect(teachGroup(q, original, t2, 1, 1).nearest[0]).toBe(2);
  });

  it('rejects rows and groups out of range; layer info', () => {
    expect(() => teachGroup(q, original, transformed, 2, 0)).toThrow(RangeError);
    expect(() => teachGroup(q, original, transformed, 0, 2)).toThrow(RangeError);
    expect(teachLayerInfo(q)).toEqual({ name: q.name, rows: 2, cols: 6, groups: 2, actOrder: false });
  });

  it('GPTQ act-order groups (g_idx): the columns the group names, in ascending order', () => {
    // Quantized in the order 1, 4, 2, 5 | 0, 3: group 0 = columns 1, 2, 4, 5, group 1 (ragged) = 0, 3.
    const a: QuantizedLinear = { ...q, gIdx: Uint32Array.from([1, 0, 0, 1, 0, 0]) };
    expect(teachLayerInfo(a).actOrder).toBe(true);
    const d = teachGroup(a, original, transformed, 1, 0);
    expect(d.actOrder).toBe(true);
    expect(d.columns).toEqual([1, 2, 4, 5]);
    expect(d.col0).toBe(1);
    // row 1 group 0: s = 0.5, z = 1; codes at columns 1, 2, 4, 5 = [3, 2, 1, 1]
    expect(d.original).toEqual([1, 0.2, 4, 0].map(Math.fround));
    expect(d.codes).toEqual([3, 2, 1, 1]);
    expect(d.dequantized).toEqual([1, 0.5, 0, 0]);
    // W_t / 0.5 + 1 = [4+1 -> 3, 0.4+1 -> 1, 8+1 -> 3, 0+1]
    expect(d.nearest).toEqual([3, 1, 3, 1]);
    const d1 = teachGroup(a, original, transformed, 1, 1);
    expect(d1.columns).toEqual([0, 3]);
    // s = 2, z = 0: -0.5/2 -> round(-0.25) = 0, 0.45/2 -> 0
    expect(d1.codes).toEqual([0, 1]);
    expect(d1.dequantized).toEqual([0, 2]);
    expect(d1.nearest).toEqual([0, 0]);
    expect(teachGroup(q, original, transformed, 1, 0).columns).toEqual([0, 1, 2, 3]);
  });
});

describe('mostFlippedGroup', () => {
  it('finds the group whose codes differ most from round-to-nearest', () => {
    // Row 0 holds zeros stored as code 0 (no flips). Row 1 group 0: 2 flips (cols 2 and 3, as
    // above); row 1 group 1: codes [1, 1] against nearest [2, 0], 2 flips too: the first one wins.
    expect(mostFlippedGroup(q, transformed)).toEqual({ row: 1, group: 0, flips: 2 });
  });

  it('is null when every code is the nearest one (round-to-nearest)', () => {
    const rtn = { ...q, codes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 2, 0]) };
    expect(mostFlippedGroup(rtn, transformed)).toBeNull();
  });

  it('prefers a later group with more flips', () => {
    const more = { ...q, codes: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 0, 2]) };
    // row 1 group 0 now matches nearest [0, 3, 1, 2]; group 1: [0, 2] against [2, 0]: 2 flips.
    expect(mostFlippedGroup(more, transformed)).toEqual({ row: 1, group: 1, flips: 2 });
  });
});
