import { describe, expect, it } from 'vitest';
import type { QuantizedLinear } from '../core/quant-spec';
import { dequantizedWeightsRef, dequantizeRef, quantizeRef, roundEven } from './quantize';

describe('float64 quantizer twin', () => {
  it('rounds half to even like torch.round', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });
  it('asymmetric 2-bit group, hand-computed', () => {
    // min -1, max 2: s = 3/3 = 1, z = 1; codes round(w)+1 clamped to [0,3]
    const q = quantizeRef([-1, 0.4, 2, 1.6], 1, 4, { bits: 2, groupSize: 4, symmetric: false });
    expect([...q.scales]).toEqual([1]);
    expect([...q.zeros]).toEqual([1]);
    expect([...q.codes]).toEqual([0, 1, 3, 3]);
    expect([...q.deq]).toEqual([-1, 0, 2, 2]);
  });
  it('ragged last group and per-channel', () => {
    const w = [0, 1, 2, 3, 4, 10, 20];
    const q = quantizeRef(w, 1, 7, { bits: 4, groupSize: 3, symmetric: false });
    expect(q.scales.length).toBe(3);
    // groups [0,1,2], [3,4,10] and the ragged [20] (a constant group: range floor 1e-5)
    expect(q.scales[1]).toBeCloseTo(7 / 15, 12);
    expect(q.scales[2]).toBeCloseTo(1e-5 / 15, 15);
    const pc = quantizeRef(w, 1, 7, { bits: 4, groupSize: 0, symmetric: false });
    expect(pc.scales.length).toBe(1);
    expect(pc.scales[0]).toBeCloseTo(20 / 15, 12);
  });
  it('constant and all-zero groups do not divide by zero', () => {
    const q = quantizeRef([0, 0, 0, 0, 3, 3, 3, 3], 1, 8, { bits: 3, groupSize: 4, symmetric: false });
    expect(q.deq.every(Number.isFinite)).toBe(true);
    expect([...q.deq.slice(0, 4)]).toEqual([0, 0, 0, 0]);
    // constant 3: s = 1e-5/7, z = clamp(-round(3/s)) = 0, q = clamp(round(3/s)) = 7 -> 7*s (range lost, as in LLMC)
    expect(q.deq[4]).toBeCloseTo(1e-5, 12);
  });
  it('symmetric 4-bit: s = max|w|/7, codes offset by 8', () => {
    const q = quantizeRef([-7, 3.4, 7, -8], 1, 4, { bits: 4, groupSize: 0, symmetric: true });
    expect(q.scales[0]).toBe(8 / 7);
    expect(q.zeros[0]).toBe(8);
    // w/s = [-6.125, 2.975, 6.125, -7] -> q = [-6, 3, 6, -7] -> codes q + 8
    expect([...q.codes]).toEqual([2, 11, 14, 1]);
  });
});

describe('float64 dequantizer of a stored Linear', () => {
  // 2 rows x 5 inputs, groups of 2: [0, 1], [2, 3] and the ragged [4].
  const q: QuantizedLinear = {
    name: 't',
    rows: 2,
    cols: 5,
    spec: { bits: 4, groupSize: 2, symmetric: false },
    codes: Uint8Array.of(0, 1, 2, 3, 4, 5, 5, 5, 5, 5),
    scales: Float32Array.of(0.5, 2, 4, 1, 1, 1),
    zeros: Float32Array.of(1, 2, 3, 0, 1, 2),
  };
  it('(code - zero) * scale by column groups, hand-computed', () => {
    expect([...dequantizeRef(q)]).toEqual([-0.5, 0, 0, 2, 4, 5, 5, 4, 4, 3]);
  });
  it('act-order: each column in the group its gIdx names', () => {
    expect([...dequantizeRef({ ...q, gIdx: Uint32Array.of(2, 0, 1, 0, 1) })]).toEqual([-12, 0, 0, 1, 4, 3, 5, 4, 5, 4]);
  });
  it('every Linear by its HF tensor name', () => {
    expect([...dequantizedWeightsRef(new Map([['t', q]])).keys()]).toEqual(['t.weight']);
  });
});
