// Partial rotary's load-time layout, by hand: head_dim 16 with 12 rotary dims (Phi-4-mini's 0.75).
import { describe, expect, it } from 'vitest';
import { rotaryLayoutSource } from './partial-rotary';
import { ropeFrequencies } from '../reference/rope';

describe('partial rotary', () => {
  it('puts the HF rotary pairs (i, i + 6) on the engine pairs (i, i + 8) and pairs the pass-through dims 12-15 with each other', () => {
    const src = Array.from(rotaryLayoutSource(16, 12));
    expect(src).toEqual([0, 1, 2, 3, 4, 5, 12, 13, 6, 7, 8, 9, 10, 11, 14, 15]);
    for (let i = 0; i < 6; i++) expect(src[i + 8] - src[i]).toBe(6);
    expect(new Set(src).size).toBe(16);
    // full rotary: the identity
    expect(Array.from(rotaryLayoutSource(8, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('turns the rotary pairs at theta^(-2i/12) and the pass-through pairs at frequency 0', () => {
    const f = ropeFrequencies(16, 10000, undefined, 12);
    expect(f.length).toBe(8);
    for (let i = 0; i < 6; i++) expect(f[i]).toBeCloseTo(10000 ** (-i / 6), 15);
    expect([f[6], f[7]]).toEqual([0, 0]);
    // LongRoPE's short factors are per rotary pair
    const scaled = ropeFrequencies(
      16,
      10000,
      { type: 'longrope', shortFactor: [1, 2, 3, 4, 5, 6], longFactor: [], originalMaxPositions: 4096, attentionFactor: 1 },
      12,
    );
    for (let i = 0; i < 6; i++) expect(scaled[i]).toBeCloseTo(10000 ** (-i / 6) / (i + 1), 15);
    expect([scaled[6], scaled[7]]).toEqual([0, 0]);
  });
});
