import { describe, expect, it } from 'vitest';
import { matmulRef } from './matmul';

// A = [[1,2,3],[4,5,6]] (2x3), B = [[7,8],[9,10],[11,12]] (3x2)
// A·B by hand: [[1*7+2*9+3*11, 1*8+2*10+3*12], [4*7+5*9+6*11, 4*8+5*10+6*12]] = [[58,64],[139,154]]
const A = [1, 2, 3, 4, 5, 6];
const B = [7, 8, 9, 10, 11, 12];
const AT = [1, 4, 2, 5, 3, 6]; // Aᵀ stored [3,2]
const BT = [7, 9, 11, 8, 10, 12]; // Bᵀ stored [2,3]
const AB = [58, 64, 139, 154];
const dims = { m: 2, k: 3, n: 2 };

describe('matmulRef', () => {
  it('computes a hand-checked product', () => {
    expect([...matmulRef(A, B, dims)]).toEqual(AB);
  });

  it('reads transposed operands', () => {
    expect([...matmulRef(AT, B, dims, { transA: true })]).toEqual(AB);
    expect([...matmulRef(A, BT, dims, { transB: true })]).toEqual(AB);
    expect([...matmulRef(AT, BT, dims, { transA: true, transB: true })]).toEqual(AB);
  });

  it('applies alpha, bias and accumulation', () => {
    const got = matmulRef(A, B, dims, { alpha: 0.5, bias: [1, -1], accumulateInto: [10, 20, 30, 40] });
    // 0.5*[[58,64],[139,154]] + [1,-1] + [[10,20],[30,40]]
    expect([...got]).toEqual([29 + 1 + 10, 32 - 1 + 20, 69.5 + 1 + 30, 77 - 1 + 40]);
  });

  it('batches, and broadcasts a single b over the batch', () => {
    const a2 = [...A, ...A.map((x) => -x)];
    expect([...matmulRef(a2, B, { ...dims, batch: 2 })]).toEqual([...AB, ...AB.map((x) => -x)]);
    const b2 = [...B, ...B.map((x) => 2 * x)];
    expect([...matmulRef(a2, b2, { ...dims, batch: 2 })]).toEqual([...AB, ...AB.map((x) => -2 * x)]);
  });
});
