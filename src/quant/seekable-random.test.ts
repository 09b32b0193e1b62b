import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../reference/rng';
import { SeekableRandom } from './seekable-random';

describe('SeekableRandom', () => {
  it('draws what mulberry32 draws, and continues identically from a saved state', () => {
    const ref = mulberry32(123456789);
    const a = new SeekableRandom(123456789);
    const first = Array.from({ length: 50 }, () => a.next());
    expect(first).toEqual(Array.from({ length: 50 }, () => ref()));
    const b = new SeekableRandom(a.state);
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(Array.from({ length: 50 }, () => ref()));
  });
});
