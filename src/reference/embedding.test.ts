import { describe, expect, it } from 'vitest';
import { embeddingBackwardRef, embeddingGatherRef } from './embedding';
import { randn } from './rng';

describe('embedding twins', () => {
  const table = [1, 2, 3, 4, 5, 6]; // 3 rows of 2
  it('gather copies rows and zero-fills out-of-range ids', () => {
    expect([...embeddingGatherRef(table, 3, 2, [2, 0, 0xffffffff, 2])]).toEqual([5, 6, 1, 2, 0, 0, 5, 6]);
  });
  it('backward sums the rows of repeated ids', () => {
    const dy = [1, 1, 2, 2, 3, 3, 4, 4];
    expect([...embeddingBackwardRef(dy, [2, 0, 0xffffffff, 2], 3, 2)]).toEqual([2, 2, 0, 0, 5, 5]);
  });
  it('backward matches central finite differences of sum(dy * gather(table))', () => {
    const vocab = 5,
      cols = 3,
      ids = [4, 1, 4, 0, 4, 7];
    const tab = Float64Array.from(randn(vocab * cols, 11));
    const dy = Float64Array.from(randn(ids.length * cols, 12));
    const f = (w: Float64Array) => embeddingGatherRef(w, vocab, cols, ids).reduce((s, y, i) => s + y * dy[i], 0);
    const grad = embeddingBackwardRef(dy, ids, vocab, cols);
    const h = 1e-5;
    for (let i = 0; i < tab.length; i++) {
      const p = tab.slice(),
        q = tab.slice();
      p[i] += h;
      q[i] -= h;
      expect(grad[i]).toBeCloseTo((f(p) - f(q)) / (2 * h), 8);
    }
  });
});
