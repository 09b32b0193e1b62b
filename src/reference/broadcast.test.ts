import { describe, expect, it } from 'vitest';
import { addRowVectorRef, divColVectorRef, divRowVectorRef, mulColVectorRef, mulRowVectorRef } from './broadcast';

describe('broadcast twins', () => {
  // x = [[1, 2, 3], [4, 5, 6]]
  const x = [1, 2, 3, 4, 5, 6];
  it('row vectors act per column', () => {
    expect([...mulRowVectorRef(x, 2, 3, [1, 10, 100])]).toEqual([1, 20, 300, 4, 50, 600]);
    expect([...divRowVectorRef(x, 2, 3, [1, 2, 4])]).toEqual([1, 1, 0.75, 4, 2.5, 1.5]);
    expect([...addRowVectorRef(x, 2, 3, [1, -1, 0])]).toEqual([2, 1, 3, 5, 4, 6]);
  });
  it('column vectors act per row', () => {
    expect([...mulColVectorRef(x, 2, 3, [2, -1])]).toEqual([2, 4, 6, -4, -5, -6]);
    expect([...divColVectorRef(x, 2, 3, [2, 4])]).toEqual([0.5, 1, 1.5, 1, 1.25, 1.5]);
  });
  it('check vector lengths', () => {
    expect(() => mulRowVectorRef(x, 2, 3, [1, 2])).toThrow();
    expect(() => mulColVectorRef(x, 2, 3, [1, 2, 3])).toThrow();
  });
});
