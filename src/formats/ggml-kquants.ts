// GGML's k-quant super-blocks decoded to f32, as llama.cpp's dequantize_row_q4_K / _q5_K / _q6_K
// do it: the types most downloadable GGUFs hold (Q4_K_M and Q5_K_M files are Q4_K / Q5_K with Q6_K
// for some tensors). A super-block is 256 values.
import { HALF_TABLE } from './dtype';

export const QK_K = 256;
/** f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
export const Q4_K_BYTES = 144;
/** Q4_K's layout with 32 bytes of fifth bits before the nibbles. */
export const Q5_K_BYTES = 176;
/** 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, f16 d. */
export const Q6_K_BYTES = 210;

const half = (b: Uint8Array, o: number) => HALF_TABLE[b[o] | (b[o + 1] << 8)];

/**
 * Sub-block j's 6-bit scale and min from the 12 scale bytes at s: bytes 0-3 hold the scales of
 * sub-blocks 0-3 (low 6 bits), 4-7 their mins; 8-11 the low 4 bits of sub-blocks 4-7's scale (low
 * nibble) and min (high nibble), whose top 2 bits are the top bits of bytes 0-3 and 4-7.
 */
function scaleMin(b: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [b[s + j] & 63, b[s + j + 4] & 63];
  return [(b[s + j + 4] & 15) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
}

/** Q4_K and Q5_K (fifth bits when `q5`): x = d·sc·q − dmin·m per sub-block of 32. */
function decodeK45(bytes: Uint8Array, count: number, q5: boolean): Float32Array {
  const out = new Float32Array(count);
  const size = q5 ? Q5_K_BYTES : Q4_K_BYTES;
  const qsAt = q5 ? 48 : 16;
  for (let blk = 0; blk < count / QK_K; blk++) {
    const o = blk * size;
    const d = half(bytes, o);
    const dmin = half(bytes, o + 2);
    const y0 = blk * QK_K;
    // four chunks of 64 values: 32 low nibbles (sub-block 2c), then the same 32 bytes' high nibbles (2c + 1)
    for (let c = 0; c < 4; c++) {
      const [sc1, m1] = scaleMin(bytes, o + 4, 2 * c);
      const [sc2, m2] = scaleMin(bytes, o + 4, 2 * c + 1);
      const d1 = Math.fround(d * sc1);
      const min1 = Math.fround(dmin * m1);
      const d2 = Math.fround(d * sc2);
      const min2 = Math.fround(dmin * m2);
      for (let l = 0; l < 32; l++) {
        const q = bytes[o + qsAt + 32 * c + l];
        // Q5_K: bit 2c of qh[l] is the fifth bit of the low nibble's value, bit 2c + 1 the high one's
        const h = q5 ? bytes[o + 16 + l] >> (2 * c) : 0;
        out[y0 + 64 * c + l] = Math.fround(d1 * ((q & 15) | ((h & 1) << 4))) - min1;
        out[y0 + 64 * c + 32 + l] = Math.fround(d2 * ((q >> 4) | (((h >> 1) & 1) << 4))) - min2;
      }
    }
  }
  return out;
}

export function q4_KToF32(bytes: Uint8Array, count: number): Float32Array {
  return decodeK45(bytes, count, false);
}

export function q5_KToF32(bytes: Uint8Array, count: number): Float32Array {
  return decodeK45(bytes, count, true);
}

/**
 * Q6_K: x = d·scale·(q − 32) with 6-bit q and an int8 scale per 16 values. Each half of 128 values
 * takes 64 bytes of low nibbles and 32 of high bit pairs: value 32k + l (k = 0..3) is the low (k < 2)
 * or high (k ≥ 2) nibble of byte l + 32·(k % 2) with bits 2k, 2k + 1 of qh[l] on top.
 */
export function q6_KToF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let blk = 0; blk < count / QK_K; blk++) {
    const o = blk * Q6_K_BYTES;
    const d = half(bytes, o + 208);
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const sc = o + 192 + 8 * n;
      const y0 = blk * QK_K + 128 * n;
      for (let l = 0; l < 32; l++) {
        const h = bytes[qh + l];
        const lo = bytes[ql + l];
        const hi = bytes[ql + l + 32];
        const qs = [(lo & 15) | ((h & 3) << 4), (hi & 15) | (((h >> 2) & 3) << 4), (lo >> 4) | (((h >> 4) & 3) << 4), (hi >> 4) | (((h >> 6) & 3) << 4)];
        for (let k = 0; k < 4; k++) {
          const s = bytes[sc + (l >> 4) + 2 * k];
          out[y0 + 32 * k + l] = Math.fround(d * (s > 127 ? s - 256 : s)) * (qs[k] - 32);
        }
      }
    }
  }
  return out;
}
