import { describe, expect, it } from 'vitest';
import { meanSquaredErrorRef, sumAllRef, sumColsRef, sumRowsRef, sumSquaresRef } from './reduce';

describe('reduction twins', () => {
  // x = [[1, 2, 3], [4, 5, 6]]
  const x = [1, 2, 3, 4, 5, 6];
  it('match hand-computed sums', () => {
    expect([...sumRowsRef(x, 2, 3)]).toEqual([6, 15]);
    expect([...sumColsRef(x, 2, 3)]).toEqual([5, 7, 9]);
    expect(sumAllRef(x)).toBe(21);
    expect(sumSquaresRef(x)).toBe(91);
  });
  it('mean squared error divides by the element count unless told otherwise', () => {
    const a = [1, 2, 3],
      b = [0, 4, 3];
    expect(meanSquaredErrorRef(a, b)).toBeCloseTo(5 / 3, 15);
    expect(meanSquaredErrorRef(a, b, 10)).toBeCloseTo(0.5, 15);
  });
});
