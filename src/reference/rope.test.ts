import { describe, expect, it } from 'vitest';
import { ropeFrequencies, ropeRef, type RopeOptions } from './rope';
import { randn } from './rng';
import { expectClose } from './testing';

describe('rope twin', () => {
  it('hand case: D = 4, theta = 100, position 1 and the second pair turning by 1/10 rad', () => {
    // Token 0 is position 0 (identity); token 1 is position 1: pair 0 turns by 1 rad, pair 1 by 100^(-1/2).
    const x = [1, 2, 3, 4, 1, 2, 3, 4];
    const c1 = Math.cos(1),
      s1 = Math.sin(1),
      c2 = Math.cos(0.1),
      s2 = Math.sin(0.1);
    const inter = ropeRef(x, { heads: 1, headDim: 4, seqLen: 2, theta: 100, style: 'interleaved' });
    expectClose(inter, [1, 2, 3, 4, 1 * c1 - 2 * s1, 1 * s1 + 2 * c1, 3 * c2 - 4 * s2, 3 * s2 + 4 * c2], 1e-15);
    const half = ropeRef(x, { heads: 1, headDim: 4, seqLen: 2, theta: 100, style: 'half' });
    // half style pairs (0, 2) and (1, 3)
    expectClose(half, [1, 2, 3, 4, 1 * c1 - 3 * s1, 2 * c2 - 4 * s2, 1 * s1 + 3 * c1, 2 * s2 + 4 * c2], 1e-15);
  });
  it('positions restart every seqLen tokens and shift by positionOffset', () => {
    const o: RopeOptions = { heads: 2, headDim: 6, seqLen: 3, theta: 10000, style: 'half' };
    const row = Float64Array.from(randn(12, 5));
    const x = new Float64Array(12 * 6);
    for (let t = 0; t < 6; t++) x.set(row, t * 12);
    const y = ropeRef(x, o);
    expectClose(y.subarray(4 * 12, 5 * 12), y.subarray(1 * 12, 2 * 12), 0);
    const shifted = ropeRef(x.subarray(0, 12), { ...o, seqLen: 1, positionOffset: 2 });
    expectClose(shifted, y.subarray(2 * 12, 3 * 12), 1e-15);
  });
  it('inverse undoes the rotation and norms are preserved', () => {
    const o: RopeOptions = { heads: 3, headDim: 8, seqLen: 5, theta: 500000, style: 'interleaved', positionOffset: 7 };
    const x = Float64Array.from(randn(10 * 24, 6));
    const y = ropeRef(x, o);
    expectClose(ropeRef(y, { ...o, inverse: true }), x, 1e-14);
    const n = (a: ArrayLike<number>) => Math.hypot(...Array.from(a));
    expect(Math.abs(n(y) - n(x))).toBeLessThan(1e-12 * n(x));
  });
  it('backward (inverse rotation) equals the transpose: <dy, R x> = <R^T dy, x>', () => {
    // RoPE is linear, so central differences are exact up to rounding; the adjoint identity is the
    // sharper check.
    const o: RopeOptions = { heads: 2, headDim: 4, seqLen: 4, theta: 10000, style: 'half', positionOffset: 3 };
    const x = Float64Array.from(randn(8 * 8, 7));
    const dy = Float64Array.from(randn(8 * 8, 8));
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
    const lhs = dot(dy, ropeRef(x, o));
    const rhs = dot(ropeRef(dy, { ...o, inverse: true }), x);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12);
    // and central differences of the forward twin, entry by entry
    const h = 1e-6;
    const back = ropeRef(dy, { ...o, inverse: true });
    for (let i = 0; i < x.length; i++) {
      const xp = x.slice(),
        xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const fd = (dot(dy, ropeRef(xp, o)) - dot(dy, ropeRef(xm, o))) / (2 * h);
      expect(Math.abs(fd - back[i])).toBeLessThan(1e-8);
    }
  });
});

describe('rope scaling (transformers rope_scaling)', () => {
  // LLaMA 3.2's config: theta 500000, head_dim 64, factor 32, low 1, high 4, original 8192.
  const llama32 = { type: 'llama3' as const, factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };

  it('llama3: high frequencies kept, low ones divided by the factor, the band between blended (hand-computed)', () => {
    const f = ropeFrequencies(64, 500000, llama32);
    // i = 0: frequency 1, wavelength 2π < 8192/4: unchanged
    expect(f[0]).toBe(1);
    // i = 31: 500000^(-62/64) ≈ 3.02e-6, wavelength ≈ 2.1e6 > 8192: divided by 32
    expect(f[31]).toBeCloseTo(Math.pow(500000, -62 / 64) / 32, 20);
    // i = 16: 500000^(-1/2) = 1/707.107, wavelength 4442.9 lies between 2048 and 8192:
    // smooth = (8192/4442.883 − 1)/3 = 0.281283, scale = (1 − smooth)/32 + smooth = 0.303743
    expect(f[16] / Math.pow(500000, -0.5)).toBeCloseTo(0.303743, 5);
    // i = 14 (wavelength 1697 < 2048) is kept, i = 18 (wavelength 11626 > 8192) divided
    expect(f[14]).toBe(Math.pow(500000, -28 / 64));
    expect(f[18]).toBeCloseTo(Math.pow(500000, -36 / 64) / 32, 18);
  });

  it('longrope: frequency i divided by short factor i (hand-computed); the long factors and the attention factor left out', () => {
    const longrope = { type: 'longrope' as const, shortFactor: [1, 2, 4, 5], longFactor: [7, 7, 7, 7], originalMaxPositions: 4096, attentionFactor: 1.19 };
    // D = 8, theta = 10000: 10000^(-2i/8) = 1, 0.1, 0.01, 0.001
    expectClose(ropeFrequencies(8, 10000, longrope), [1, 0.05, 0.0025, 0.0002], 1e-15);
  });
  it('yarn: frequencies kept up to the ramp, divided past it, blended linearly between (hand-computed)', () => {
    const yarn = { type: 'yarn' as const, factor: 4, originalMaxPositions: 1024, betaFast: 32, betaSlow: 1, truncate: true, attentionFactor: 1.139 };
    // D = 16, theta = 10000: frequency i is 10^(-i/2). The ramp's ends: 16 ln(1024 / (32·2π)) / (2 ln 10000)
    // = 1.414 -> 1 and 16 ln(1024 / 2π) / (2 ln 10000) = 4.424 -> 5, so the kept share 1 - (i - 1)/4 is
    // 1, 1, 0.75, 0.5, 0.25, 0, 0, 0, and frequency i keeps (kept + (1 - kept) / 4) of itself
    const keep = [1, 1, 0.8125, 0.625, 0.4375, 0.25, 0.25, 0.25];
    expectClose(
      ropeFrequencies(16, 10000, yarn),
      keep.map((k, i) => k * Math.pow(10, -i / 2)),
      1e-15,
    );
    // without truncation the ramp runs from 1.414 to 4.424: i = 1 still kept, i = 2 kept by
    // 1 - (2 - 1.414) / 3.010 = 0.805, i = 5 divided
    const f = ropeFrequencies(16, 10000, { ...yarn, truncate: false });
    const low = (16 * Math.log(1024 / (64 * Math.PI))) / (2 * Math.log(10000));
    const high = (16 * Math.log(1024 / (2 * Math.PI))) / (2 * Math.log(10000));
    const kept2 = 1 - (2 - low) / (high - low);
    expect(kept2).toBeCloseTo(0.805, 3);
    expect(f[1]).toBe(Math.pow(10, -0.5));
    expect(f[2] / 0.1).toBeCloseTo(kept2 + (1 - kept2) / 4, 12);
    expect(f[5]).toBeCloseTo(Math.pow(10, -2.5) / 4, 18);
  });
  it('linear divides every frequency; no scaling is theta^(-2i/D)', () => {
    const plain = ropeFrequencies(8, 10000);
    expect(Array.from(plain)).toEqual([1, 0.1, 0.01, 0.001].map((_, i) => Math.pow(10000, -i / 4)));
    expect(Array.from(ropeFrequencies(8, 10000, { type: 'linear', factor: 4 }))).toEqual(Array.from(plain, (v) => v / 4));
  });

  it('the twin turns by position times the scaled frequency', () => {
    const o: RopeOptions = { heads: 1, headDim: 4, seqLen: 2, theta: 100, style: 'interleaved', scaling: { type: 'linear', factor: 2 } };
    const x = [1, 0, 1, 0, 1, 0, 1, 0];
    // position 1: pair 0 by 1/2 rad, pair 1 by 0.1/2 rad
    expectClose(ropeRef(x, o), [1, 0, 1, 0, Math.cos(0.5), Math.sin(0.5), Math.cos(0.05), Math.sin(0.05)], 1e-15);
  });
});
