// GGML block types read from GGUF files: each decoder against values worked out by hand from the
// block layouts of llama.cpp's ggml-common.h (block_q4_0, block_q5_0, block_q4_K, block_q5_K,
// block_q2_K, block_q3_K, block_q6_K, block_iq4_nl, block_iq4_xs), then through readGguf /
// readGgufTensor, where a row length off the block size is refused.
import { describe, expect, it } from 'vitest';
import { bytesSource } from './byte-source';
import { q4_0ToF32, q5_0ToF32 } from './dtype';
import { GGML_TYPE, readGguf, readGgufTensor } from './gguf';
import {
  iq4_nlToF32,
  iq4_xsToF32,
  IQ4_NL_BYTES,
  IQ4_XS_BYTES,
  q2_KToF32,
  q3_KToF32,
  q4_KToF32,
  q5_KToF32,
  q6_KToF32,
  Q2_K_BYTES,
  Q3_K_BYTES,
  Q4_K_BYTES,
  Q5_K_BYTES,
  Q6_K_BYTES,
} from './ggml-kquants';
import { errorOf } from './testing/format-errors';
import { writeGguf } from './testing/gguf-writer';

const HALF = { 0.25: 0x3400, 0.5: 0x3800, 1: 0x3c00, 2: 0x4000 } as const;
const setHalf = (b: Uint8Array, at: number, v: keyof typeof HALF) => new DataView(b.buffer).setUint16(at, HALF[v], true);

/**
 * The 12 scale bytes of a Q4_K / Q5_K super-block from 8 six-bit scales and mins, as the format
 * describes them: bytes 0-3 scales 0-3, bytes 4-7 mins 0-3, bytes 8-11 the low nibbles of scale
 * (low half) and min (high half) 4-7, whose top two bits go in the top bits of bytes 0-3 and 4-7.
 */
function packScales(sc: number[], m: number[]): number[] {
  const b = new Array<number>(12).fill(0);
  for (let j = 0; j < 4; j++) {
    b[j] = sc[j] | ((sc[j + 4] >> 4) << 6);
    b[j + 4] = m[j] | ((m[j + 4] >> 4) << 6);
    b[j + 8] = (sc[j + 4] & 15) | ((m[j + 4] & 15) << 4);
  }
  return b;
}

describe('Q4_0 and Q5_0 blocks', () => {
  it('Q4_0: x = (q − 8)·d, low nibbles first', () => {
    const b = new Uint8Array(18);
    setHalf(b, 0, 0.5);
    for (let j = 0; j < 16; j++) b[2 + j] = j | ((15 - j) << 4);
    const x = q4_0ToF32(b, 32);
    expect([x[0], x[3], x[15], x[16], x[31]]).toEqual([-4, -2.5, 3.5, 3.5, -4]);
  });

  it('Q5_0: x = (q − 16)·d with element j’s fifth bit at bit j of qh', () => {
    const b = new Uint8Array(22);
    setHalf(b, 0, 0.25);
    new DataView(b.buffer).setUint32(2, (1 << 3) | (1 << 20), true);
    for (let j = 0; j < 16; j++) b[6 + j] = j | ((15 - j) << 4);
    const x = q5_0ToF32(b, 32);
    // element 3: 3 + 16 − 16; element 4: 4 − 16; element 20 (high nibble of byte 4): 11 + 16 − 16; 21: 10 − 16
    expect([x[3], x[4], x[20], x[21]]).toEqual([0.75, -3, 2.75, -1.5]);
  });
});

describe('k-quant super-blocks (256 values)', () => {
  const sc = [1, 2, 3, 4, 44, 17, 63, 32];
  const m = [10, 11, 12, 13, 24, 50, 0, 63];

  it('Q4_K: sub-block j of 32 is d·sc_j·q − dmin·m_j; 64-value chunks take 32 bytes, low nibbles then high', () => {
    const b = new Uint8Array(Q4_K_BYTES * 2);
    for (let blk = 0; blk < 2; blk++) {
      const o = blk * Q4_K_BYTES;
      setHalf(b, o, blk ? 2 : 1);
      setHalf(b, o + 2, 0.5);
      b.set(packScales(sc, m), o + 4);
      for (let i = 0; i < 128; i++) b[o + 16 + i] = (i % 16) | ((15 - (i % 16)) << 4);
    }
    const x = q4_KToF32(b, 512);
    // value 0: byte 0's low nibble 0 in sub-block 0: 1·1·0 − 0.5·10
    expect(x[0]).toBe(-5);
    // value 33: byte 1's high nibble 14 in sub-block 1: 2·14 − 0.5·11
    expect(x[33]).toBe(22.5);
    // value 4·32 + 5 = 133: chunk 2, byte 64 + 5 low nibble 5, sub-block 4 (scale 44, min 24): 44·5 − 12
    expect(x[133]).toBe(208);
    // value 6·32 + 7 = 199: chunk 3, byte 96 + 7 low nibble 7, sub-block 6 (63, 0): 63·7
    expect(x[199]).toBe(441);
    // value 255: chunk 3, byte 127 high nibble 0, sub-block 7 (32, 63): −31.5
    expect(x[255]).toBe(-31.5);
    // second block, d = 2: value 256 + 33 = 2·2·14 − 5.5
    expect(x[289]).toBe(50.5);
    for (let i = 0; i < 256; i++) {
      const j = i >> 5;
      const byte = 32 * (j >> 1) + (i & 31);
      const q = j & 1 ? 15 - (byte % 16) : byte % 16;
      expect(x[i]).toBe(sc[j] * q - 0.5 * m[j]);
    }
  });

  it('Q5_K: Q4_K plus a fifth bit per value: bit 2c (low nibbles) or 2c + 1 (high) of qh[l] in chunk c', () => {
    const b = new Uint8Array(Q5_K_BYTES);
    setHalf(b, 0, 1);
    setHalf(b, 2, 0.5);
    b.set(packScales(sc, m), 4);
    b[16 + 5] = 0b0001_0000; // qh[5] bit 4: chunk 2's low nibble at l = 5, i.e. value 133
    b[16 + 7] = 0b1000_0000; // qh[7] bit 7: chunk 3's high nibble at l = 7, i.e. value 231
    for (let i = 0; i < 128; i++) b[48 + i] = (i % 16) | ((15 - (i % 16)) << 4);
    const x = q5_KToF32(b, 256);
    expect(x[133]).toBe(44 * (5 + 16) - 12);
    expect(x[5]).toBe(1 * 5 - 5); // chunk 0 at l = 5 has no fifth bit
    // value 231: byte 96 + 7's high nibble 8 (+ 16) in sub-block 7 (32, 63)
    expect(x[231]).toBe(32 * 24 - 31.5);
    expect(x[199]).toBe(441); // chunk 3's low nibble at l = 7: bit 6 is clear
  });

  it('Q2_K: x = d·sc·q − dmin·m, 2-bit q, a byte per 16 values (scale low nibble, min high)', () => {
    const b = new Uint8Array(Q2_K_BYTES);
    for (let i = 0; i < 16; i++) b[i] = (i % 16) | ((15 - i) << 4); // sub-block i: scale i, min 15 − i
    // half 0, byte 3 = 0b11_10_01_00: value 3 has q 0 (bits 0-1), 32 + 3 q 1, 64 + 3 q 2, 96 + 3 q 3
    b[16 + 3] = 0b1110_0100;
    // half 1, byte 16 + 5 = 0b10 << 2: value 128 + 32 + 16 + 5 = 181 has q 2 (bits 2-3 of byte l + 16)
    b[16 + 32 + 16 + 5] = 0b1000;
    setHalf(b, 80, 0.5);
    setHalf(b, 82, 0.25);
    const x = q2_KToF32(b, 256);
    // value 3: sub-block 0 (scale 0, min 15)
    expect(x[3]).toBe(0 - 0.25 * 15);
    // value 35: sub-block 2 (scale 2, min 13), q 1
    expect(x[35]).toBe(0.5 * 2 * 1 - 0.25 * 13);
    // value 67: sub-block 4, q 2; value 99: sub-block 6, q 3
    expect(x[67]).toBe(0.5 * 4 * 2 - 0.25 * 11);
    expect(x[99]).toBe(0.5 * 6 * 3 - 0.25 * 9);
    // value 181: half 1, j = 1, second 16: sub-block 8 + 2 + 1 = 11 (scale 11, min 4), q 2
    expect(x[181]).toBe(0.5 * 11 * 2 - 0.25 * 4);
    // value 19 (sub-block 1, q 0)
    expect(x[19]).toBe(-0.25 * 14);
  });

  it('Q3_K: x = d·(s − 32)·(q − 4·(1 − h)), 6-bit scales split over 12 bytes, the high bit in hmask', () => {
    const b = new Uint8Array(Q3_K_BYTES);
    // scales s_k = 16·(k % 3 + 1) + k for k = 0..15: low nibble k, top two bits k % 3 + 1 (never 0,
    // so a misplaced top bit changes every scale), packed: low nibbles of s_0..7 in bytes 0-7, of
    // s_8..15 in their high nibbles; the top bits of s_k in byte 8 + k % 4, bits 2·(k / 4)
    const s = Array.from({ length: 16 }, (_, k) => 16 * ((k % 3) + 1) + k);
    for (let k = 0; k < 16; k++) {
      b[96 + (k % 8)] |= (s[k] & 15) << (k < 8 ? 0 : 4);
      b[96 + 8 + (k % 4)] |= (s[k] >> 4) << (2 * (k >> 2));
    }
    const sm = (k: number) => s[k] - 32;
    // value 5 (half 0, j 0, l 5): low part 3, hmask[5] bit 0 set → q = 3
    b[32 + 5] = 0b11;
    b[5] = 0b1;
    // value 32·3 + 16 + 2 = 114 (half 0, j 3, second 16, l 2: sub-block 7): low part 1 in bits 6-7 of byte 16 + 2, hmask[18] bit 3 clear → q = 1 − 4
    b[32 + 18] = 0b01 << 6;
    // value 128 + 7 (half 1, j 0: sub-block 8): low 2 in byte 32 + 32 + 7, hmask[7] bit 4 set → q = 2
    b[64 + 7] = 0b10;
    b[7] = 1 << 4;
    setHalf(b, 108, 0.5);
    const x = q3_KToF32(b, 256);
    expect(x[5]).toBe(0.5 * sm(0) * 3);
    expect(x[114]).toBe(0.5 * sm(7) * (1 - 4));
    expect(x[135]).toBe(0.5 * sm(8) * 2);
    // value 128 + 96 + 16 + 1 = 241: sub-block 15, low 0, hmask[17] bit 7 clear → −4
    expect(x[241]).toBe(0.5 * sm(15) * -4);
    // one value in every sub-block (low 0 and high bit clear, q = −4, except the three set above)
    for (let k = 0; k < 16; k++) {
      const at = 16 * k + 9;
      expect(x[at]).toBe(0.5 * sm(k) * -4);
    }
  });

  it('Q6_K: x = d·scale·(q − 32), 6-bit q from a low nibble and two bits of qh, an int8 scale per 16 values', () => {
    const b = new Uint8Array(Q6_K_BYTES);
    // half 0: ql[3] = 0x21 (low 1, high 2), ql[35] = 0x43 (low 3, high 4), qh[3] = 0b11_10_01_00
    b[3] = 0x21;
    b[35] = 0x43;
    b[128 + 3] = 0b1110_0100;
    // half 1: ql[64 + 20] low nibble 15, qh[32 + 20] bits 0-1 = 3: q = 63 at value 128 + 20
    b[64 + 20] = 0x0f;
    b[128 + 32 + 20] = 0b11;
    const scales = [1, -2, 3, 4, 5, 6, 7, -128, 9, 10, 11, 12, 13, 14, 15, 16];
    scales.forEach((s, i) => new DataView(b.buffer).setInt8(192 + i, s));
    setHalf(b, 208, 0.5);
    const x = q6_KToF32(b, 256);
    // value 3 (sub-block 0, scale 1): q = 1 | 0 << 4 = 1
    expect(x[3]).toBe(0.5 * 1 * (1 - 32));
    // value 35 (scale index 0 + 2: 3): q = 3 | 1 << 4 = 19
    expect(x[35]).toBe(0.5 * 3 * (19 - 32));
    // value 67 (scale 5): q = 2 | 2 << 4 = 34
    expect(x[67]).toBe(0.5 * 5 * (34 - 32));
    // value 99 (scale 7): q = 4 | 3 << 4 = 52
    expect(x[99]).toBe(0.5 * 7 * (52 - 32));
    // value 16 + 3 = 19 (sub-block 1, scale −2): q = 0
    expect(x[19]).toBe(0.5 * -2 * -32);
    // value 128 + 20 (half 1, l = 20: scale index 8 + 1: 10): q = 63
    expect(x[148]).toBe(0.5 * 10 * 31);
    // value 128 + 96 + 20 (scale index 8 + 1 + 6: 16): q = 0
    expect(x[244]).toBe(0.5 * 16 * -32);
  });
});

describe('IQ4_NL and IQ4_XS: nibbles through the 16 non-linear levels', () => {
  // kvalues_iq4nl of llama.cpp's ggml-common.h: the level nibble q stands for
  const LEVEL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
  /** 16 bytes whose byte l holds nibble l low and 15 − l high: every level once in each half. */
  const ramp = (b: Uint8Array, at: number) => {
    for (let l = 0; l < 16; l++) b[at + l] = l | ((15 - l) << 4);
  };

  it('IQ4_NL: x = d·level(q) per block of 32, the 16 low nibbles first, then the 16 high', () => {
    const b = new Uint8Array(2 * IQ4_NL_BYTES);
    setHalf(b, 0, 0.25);
    ramp(b, 2);
    setHalf(b, IQ4_NL_BYTES, 2);
    ramp(b, IQ4_NL_BYTES + 2);
    b[IQ4_NL_BYTES + 2 + 9] = 0x6d; // block 1, byte 9: low nibble 13, high 6
    const x = iq4_nlToF32(b, 64);
    // block 0 (d = 0.25): value 0 is byte 0's low nibble 0, value 16 its high nibble 15
    expect([x[0], x[3], x[15], x[16], x[19], x[31]]).toEqual([-31.75, -16.25, 28.25, 28.25, 13.25, -31.75]);
    // block 1 (d = 2): value 32 + 9 is level 13 (69), value 32 + 16 + 9 level 6 (−22)
    expect([x[41], x[57]]).toEqual([138, -44]);
    for (let l = 0; l < 16; l++) {
      expect(x[l]).toBe(0.25 * LEVEL[l]);
      expect(x[16 + l]).toBe(0.25 * LEVEL[15 - l]);
    }
  });

  it('IQ4_XS: group g of 32 scaled by d·(s_g − 32), s_g six bits: low 4 from scales_l, top 2 from scales_h', () => {
    const b = new Uint8Array(2 * IQ4_XS_BYTES);
    // s = 0, 17, 34, 51, 63, 46, 29, 12 (s − 32 = −32, −15, 2, 19, 31, 14, −3, −20): low nibbles
    // 0, 1, 2, 3, 15, 14, 13, 12, top bits 0, 1, 2, 3, 3, 2, 1, 0, each pair different from its neighbours
    const s = [0, 17, 34, 51, 63, 46, 29, 12];
    for (let blk = 0; blk < 2; blk++) {
      const o = blk * IQ4_XS_BYTES;
      setHalf(b, o, blk ? 0.25 : 0.5);
      // scales_h, little-endian: top bits of s_g at bits 2g, 2g + 1: 1·4 + 2·16 + 3·64 + 3·256 + 2·1024 + 1·4096 = 0x1be4
      b[o + 2] = 0xe4;
      b[o + 3] = 0x1b;
      // scales_l[k]: s_2k's low nibble in the low half, s_2k+1's in the high half
      b.set([0x10, 0x32, 0xef, 0xcd], o + 4);
      for (let g = 0; g < 8; g++) ramp(b, o + 8 + 16 * g);
    }
    b[8 + 16 * 5 + 2] = 0x0b; // block 0, group 5, byte 2: low nibble 11, high 0
    const x = iq4_xsToF32(b, 512);
    // value 0: group 0 (−32), byte 0's low nibble 0: 0.5·−32·−127
    expect(x[0]).toBe(2032);
    // value 32 + 16: group 1 (−15), byte 0's high nibble 15: 0.5·−15·113
    expect(x[48]).toBe(-847.5);
    // value 64 + 8: group 2 (2), low nibble 8 (level 1)
    expect(x[72]).toBe(1);
    // value 96 + 16 + 4: group 3 (19), high nibble 11 (38)
    expect(x[116]).toBe(0.5 * 19 * 38);
    // value 128 + 5: group 4 (31), low nibble 5 (−35)
    expect(x[133]).toBe(-542.5);
    // group 5 (14), byte 2: low nibble 11 (38) at value 160 + 2, high nibble 0 (−127) at 160 + 16 + 2
    expect([x[162], x[178]]).toEqual([266, -889]);
    // value 192 + 7: group 6 (−3), low nibble 7 (−10)
    expect(x[199]).toBe(15);
    // value 224 + 31: group 7 (−20), byte 15's high nibble 0 (−127)
    expect(x[255]).toBe(1270);
    // second super-block, d = 0.25: value 256 + 32 + 3 is group 1 (−15), low nibble 3 (−65)
    expect(x[291]).toBe(0.25 * -15 * -65);
    for (let i = 256; i < 512; i++) {
      const g = (i >> 5) & 7;
      const l = i & 15;
      expect(x[i]).toBe(0.25 * (s[g] - 32) * LEVEL[i & 16 ? 15 - l : l]);
    }
  });
});

describe('k-quants in a GGUF file', () => {
  const file = (type: number, ne: number[], data: Uint8Array) =>
    bytesSource('k.gguf', writeGguf({ kv: { 'general.architecture': { type: 'string', value: 'llama' } }, tensors: [{ name: 'w', ne, type, data }] }));

  it('reads Q2_K to Q6_K tensors by their block sizes', async () => {
    for (const [type, bytes, decode] of [
      [GGML_TYPE.Q2_K, Q2_K_BYTES, q2_KToF32],
      [GGML_TYPE.Q3_K, Q3_K_BYTES, q3_KToF32],
      [GGML_TYPE.Q4_K, Q4_K_BYTES, q4_KToF32],
      [GGML_TYPE.Q5_K, Q5_K_BYTES, q5_KToF32],
      [GGML_TYPE.Q6_K, Q6_K_BYTES, q6_KToF32],
    ] as const) {
      const data = Uint8Array.from({ length: 3 * bytes }, (_, i) => (i * 37 + 11) & 255);
      // keep the f16 scales finite (0x3c00 = 1)
      const dAt = { [GGML_TYPE.Q2_K]: 80, [GGML_TYPE.Q3_K]: 108, [GGML_TYPE.Q6_K]: 208 }[type as number] ?? 0;
      for (let blk = 0; blk < 3; blk++) new DataView(data.buffer).setUint16(blk * bytes + dAt, 0x3c00, true);
      const g = await readGguf(file(type, [256, 3], data));
      const x = await readGgufTensor(g, 'w');
      expect(x.length).toBe(768);
      expect(x).toEqual(decode(data, 768));
    }
  });

  it('reads IQ4_NL and IQ4_XS tensors by their block sizes', async () => {
    /** `blocks` blocks of patterned bytes, each block's f16 d (its first two bytes) set to 1. */
    const blocksOf = (blocks: number, bytes: number) => {
      const data = Uint8Array.from({ length: blocks * bytes }, (_, i) => (i * 37 + 11) & 255);
      for (let blk = 0; blk < blocks; blk++) new DataView(data.buffer).setUint16(blk * bytes, 0x3c00, true);
      return data;
    };
    const nl = blocksOf(6, IQ4_NL_BYTES); // 3 rows of 64: 6 blocks of 32
    const gNl = await readGguf(file(GGML_TYPE.IQ4_NL, [64, 3], nl));
    expect(gNl.tensors.get('w')?.byteLength).toBe(6 * 18);
    const xNl = await readGgufTensor(gNl, 'w');
    expect(xNl.length).toBe(192);
    expect(xNl).toEqual(iq4_nlToF32(nl, 192));
    // value 48 is block 1's (bytes 18..35) value 16: byte 20's high nibble, (20·37 + 11) & 255 = 0xef → 14, level 89
    expect(xNl[48]).toBe(89);
    const xs = blocksOf(2, IQ4_XS_BYTES); // 2 rows of 256
    const gXs = await readGguf(file(GGML_TYPE.IQ4_XS, [256, 2], xs));
    expect(gXs.tensors.get('w')?.byteLength).toBe(2 * (2 + 2 + 4 + 128));
    const xXs = await readGgufTensor(gXs, 'w');
    expect(xXs.length).toBe(512);
    expect(xXs).toEqual(iq4_xsToF32(xs, 512));
    // group 3 of block 0: scales_l[1] = (5·37 + 11) & 255 = 0xc4, high nibble 12; scales_h = 0x7a55 (bytes 0x55, 0x7a),
    // bits 6-7 = 1: s = 28, scale −4. Byte 8 + 48 = 56 is (56·37 + 11) & 255 = 0x23: value 96 level 3 (−65), value 112 level 2 (−83)
    expect([xXs[96], xXs[112]]).toEqual([260, 332]);
  });

  it('refuses IQ4_NL and IQ4_XS rows that are not whole blocks', async () => {
    const nl = await errorOf(readGguf(file(GGML_TYPE.IQ4_NL, [48, 2], new Uint8Array(3 * IQ4_NL_BYTES))));
    expect(nl.message).toMatch(/tensor "w": is IQ4_NL with a row of 48 values, not a multiple of 32/);
    const xs = await errorOf(readGguf(file(GGML_TYPE.IQ4_XS, [128, 2], new Uint8Array(IQ4_XS_BYTES))));
    expect(xs.message).toMatch(/tensor "w": is IQ4_XS with a row of 128 values, not a multiple of 256/);
  });

  it('refuses a k-quant row that is not a whole number of super-blocks', async () => {
    const e = await errorOf(readGguf(file(GGML_TYPE.Q4_K, [128, 2], new Uint8Array(Q4_K_BYTES))));
    expect(e.message).toMatch(/tensor "w": is Q4_K with a row of 128 values, not a multiple of 256/);
  });
});
