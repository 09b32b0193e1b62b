import { describe, expect, it } from 'vitest';
import { packCodes, unpackCodes, packedWords } from './pack';
import { mulberry32 } from '../reference/rng';

describe('code packing', () => {
  it('packs 4-bit codes eight to a word, low nibble first (hand-computed)', () => {
    const words = packCodes([1, 2, 3, 4, 5, 6, 7, 15, 9], 4);
    expect(words.length).toBe(2);
    expect(words[0]).toBe(0xf7654321);
    expect(words[1]).toBe(9);
  });
  it('3-bit codes straddle word boundaries (hand-computed)', () => {
    // 11 codes of 7: bits 0..32 set; word 0 all ones, word 1 bit 0 set.
    const words = packCodes(new Array(11).fill(7), 3);
    expect([...words]).toEqual([0xffffffff, 1]);
  });
  for (const bits of [2, 3, 4, 8]) {
    it(`round-trips random ${bits}-bit codes of odd lengths`, () => {
      const r = mulberry32(bits);
      for (const n of [1, 31, 32, 33, 1000, 4097]) {
        const codes = Uint8Array.from({ length: n }, () => Math.floor(r() * (1 << bits)));
        const words = packCodes(codes, bits);
        expect(words.length).toBe(packedWords(n, bits));
        expect(unpackCodes(words, bits, n)).toEqual(codes);
      }
    });
  }
  it('rejects codes that do not fit', () => {
    expect(() => packCodes([4], 2)).toThrow(/does not fit/);
  });
});
