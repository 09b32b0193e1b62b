import { describe, expect, it } from 'vitest';
import { addRef, axpyRef, mulRef, scaleRef, squareRef, subRef } from './elementwise';

describe('element-wise twins', () => {
  it('match hand-computed values', () => {
    const a = [1, -2, 3.5],
      b = [4, 0.5, -1];
    expect([...addRef(a, b)]).toEqual([5, -1.5, 2.5]);
    expect([...subRef(a, b)]).toEqual([-3, -2.5, 4.5]);
    expect([...mulRef(a, b)]).toEqual([4, -1, -3.5]);
    expect([...scaleRef(a, -2)]).toEqual([-2, 4, -7]);
    expect([...squareRef(a)]).toEqual([1, 4, 12.25]);
    expect([...axpyRef(a, b, 0.5)]).toEqual([3, -1.75, 3]);
  });
  it('reject mismatched lengths', () => {
    expect(() => addRef([1, 2], [1])).toThrow();
  });
});
