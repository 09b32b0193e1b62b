import { describe, expect, it } from 'vitest';
import type { ModelConfig, WeightSource } from '../core/model-config';
import { flipLastBits } from './flipped-bits';

const N = 4096;
const original = Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 10 ** ((i % 9) - 4));
original[7] = Infinity;
original[8] = NaN;
const source: WeightSource = {
  config: {} as ModelConfig,
  shapes: new Map([
    ['a', [N]],
    ['b', [N]],
  ]),
  get: async () => original,
};

/** One unit in the last place of a finite f32 (a power of two, from its exponent). */
function ulp(x: number): number {
  const e = Math.floor(Math.log2(Math.abs(x)));
  return 2 ** (Math.max(e, -126) - 23);
}

describe('flipLastBits', () => {
  it('moves about half the finite values by exactly one unit in the last place and leaves the rest, Inf and NaN alone', async () => {
    const got = await flipLastBits(source, 1).get('a');
    let moved = 0;
    for (let i = 0; i < N; i++) {
      if (!Number.isFinite(original[i])) {
        expect(Object.is(got[i], original[i])).toBe(true);
        continue;
      }
      const d = Math.abs(got[i] - original[i]);
      if (d === 0) continue;
      moved++;
      expect(d).toBe(ulp(original[i]));
    }
    // a fair coin over 4094 finite values: 2047 ± 32 (sd); 1900..2200 is more than four sd either way
    expect(moved).toBeGreaterThan(1900);
    expect(moved).toBeLessThan(2200);
    expect(original[0]).toBe(0); // the source's array is not written
  });

  it('draws the same flips for the same seed and tensor, other flips for another seed or tensor', async () => {
    const pattern = (x: Float32Array) => Array.from(x, (v, i) => v !== original[i]).join();
    const a1 = pattern(await flipLastBits(source, 1).get('a'));
    expect(pattern(await flipLastBits(source, 1).get('a'))).toBe(a1);
    expect(pattern(await flipLastBits(source, 2).get('a'))).not.toBe(a1);
    expect(pattern(await flipLastBits(source, 1).get('b'))).not.toBe(a1);
  });

  it('refuses a seed that is not a positive integer', () => {
    expect(() => flipLastBits(source, 0)).toThrow(/positive integer/);
    expect(() => flipLastBits(source, 1.5)).toThrow(/positive integer/);
  });
});
