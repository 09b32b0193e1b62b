import { describe, expect, it } from 'vitest';
import { logsumexpRowsRef, softmaxRowsRef } from './softmax';

describe('softmax twins', () => {
  it('match hand-computed values', () => {
    const x = [0, Math.log(3), 1, 1];
    const p = softmaxRowsRef(x, 2, 2);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(p[2]).toBeCloseTo(0.5, 15);
    const lse = logsumexpRowsRef(x, 2, 2);
    expect(lse[0]).toBeCloseTo(Math.log(4), 15);
    expect(lse[1]).toBeCloseTo(1 + Math.log(2), 15);
  });
  it('stay finite for huge logits (max subtraction)', () => {
    const lse = logsumexpRowsRef([1000, 1000, -Infinity], 1, 3);
    expect(lse[0]).toBeCloseTo(1000 + Math.log(2), 12);
    const p = softmaxRowsRef([1000, 1000, -Infinity], 1, 3);
    expect(p[0]).toBeCloseTo(0.5, 12);
    expect(p[1]).toBeCloseTo(0.5, 12);
    expect(p[2]).toBe(0);
  });
});
