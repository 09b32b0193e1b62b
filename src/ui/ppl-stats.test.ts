import { describe, expect, it } from 'vitest';
import { compareWithFp, pplInterval } from './ppl-stats';

describe('perplexity intervals', () => {
  it("takes the 95% interval of the windows' mean losses (Student t) and exponentiates it", () => {
    // Windows 1, 2, 3: mean 2, sample sd 1, n 3 -> half width 4.303 / sqrt(3).
    const half = 4.303 / Math.sqrt(3);
    const i = pplInterval([1, 2, 3])!;
    expect(i.lo).toBeCloseTo(Math.exp(2 - half), 12);
    expect(i.hi).toBeCloseTo(Math.exp(2 + half), 12);
    expect(pplInterval([2])).toBeNull();
    expect(pplInterval(undefined)).toBeNull();
  });

  it('flags a quantized model that beats fp32 beyond the noise of the paired windows', () => {
    const fp = [2.0, 2.5, 3.0, 2.2];
    // 0.1 lower on every window: no spread, clearly below.
    const better = compareWithFp({ windowNll: { fp, quant: fp.map((v) => v - 0.1) } })!;
    expect(better.ratio).toBeCloseTo(Math.exp(-0.1), 12);
    expect(better.beatsFpBeyondNoise).toBe(true);
    // Differences -0.2, +0.1, -0.1, +0.05: mean -0.0375, inside the noise.
    const d = [-0.2, 0.1, -0.1, 0.05];
    const mixed = compareWithFp({ windowNll: { fp, quant: fp.map((v, i) => v + d[i]) } })!;
    const mean = d.reduce((a, b) => a + b) / 4;
    const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / 3);
    expect(mixed.lo).toBeCloseTo(Math.exp(mean - (3.182 * sd) / 2), 12);
    expect(mixed.beatsFpBeyondNoise).toBe(false);
    expect(compareWithFp({ windowNll: { fp } })).toBeNull();
  });
});
