// GGML's k-quant super-blocks decoded to f32, as llama.cpp's dequantize_row_q2_K ... _q6_K do it:
// the types most downloadable GGUFs hold (Q4_K_M and Q5_K_M files are Q4_K / Q5_K with Q6_K for
// some tensors; Q3_K_M and Q2_K files mix in Q3_K and Q2_K). A super-block is 256 values. Also the
// non-linear 4-bit IQ4_NL (blocks of 32) and IQ4_XS (super-blocks of 256, what "-IQ4_XS.gguf"
// downloads hold), as dequantize_row_iq4_nl / _iq4_xs do it.
import { halfAt as half } from './dtype';

export const QK_K = 256;
/** 16 bytes of 4-bit scales and mins, 64 bytes of 2-bit q, f16 d, f16 dmin. */
export const Q2_K_BYTES = 84;
/** 32 bytes of high bits, 64 bytes of 2-bit low parts, 12 bytes of 6-bit scales, f16 d. */
export const Q3_K_BYTES = 110;
/** f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles. */
export const Q4_K_BYTES = 144;
/** Q4_K's layout with 32 bytes of fifth bits before the nibbles. */
export const Q5_K_BYTES = 176;
/** 128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, f16 d. */
export const Q6_K_BYTES = 210;

/**
 * Sub-block j's 6-bit scale and min from the 12 scale bytes at s: bytes 0-3 hold the scales of
 * sub-blocks 0-3 (low 6 bits), 4-7 their mins; 8-11 the low 4 bits of sub-blocks 4-7's scale (low
 * nibble) and min (high nibble), whose top 2 bits are the top bits of bytes 0-3 and 4-7.
 */
function scaleMin(b: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [b[s + j] & 63, b[s + j + 4] & 63];
  return [(b[s + j + 4] & 15) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
}

/**
 * Q2_K and Q3_K share a walk: each half of 128 values takes 32 bytes of q, and sub-block 2j (2j + 1)
 * of 16 values reads bits 2j, 2j + 1 of bytes l (l + 16), l < 16. Q2_K: x = d·sc·q − dmin·m with a
 * byte per sub-block (scale low nibble, min high). Q3_K: x = d·(s − 32)·(q − 4·(1 − h)), s a 6-bit
 * scale, h bit 4·half + j of hmask[l] (hmask[l + 16]).
 */
function decodeK23(bytes: Uint8Array, count: number, q3: boolean): Float32Array {
  const out = new Float32Array(count);
  const size = q3 ? Q3_K_BYTES : Q2_K_BYTES;
  const qsAt = q3 ? 32 : 16;
  const scales = new Int32Array(16);
  for (let blk = 0; blk < count / QK_K; blk++) {
    const o = blk * size;
    const d = half(bytes, q3 ? o + 108 : o + 80);
    const dmin = q3 ? 0 : half(bytes, o + 82);
    if (q3) {
      // 16 six-bit scales: low nibbles from bytes 0-7 (scales 0-7 low, 8-15 high nibbles), top bits from bytes 8-11
      const s = o + 96;
      for (let k = 0; k < 4; k++) {
        const top = bytes[s + 8 + k];
        scales[k] = (bytes[s + k] & 15) | ((top & 3) << 4);
        scales[4 + k] = (bytes[s + 4 + k] & 15) | (((top >> 2) & 3) << 4);
        scales[8 + k] = (bytes[s + k] >> 4) | (((top >> 4) & 3) << 4);
        scales[12 + k] = (bytes[s + 4 + k] >> 4) | (((top >> 6) & 3) << 4);
      }
    }
    for (let n = 0; n < 2; n++) {
      const q = o + qsAt + 32 * n;
      for (let j = 0; j < 4; j++) {
        for (let part = 0; part < 2; part++) {
          const is = 8 * n + 2 * j + part;
          const sc = q3 ? 0 : bytes[o + is]; // Q2_K's scale (low nibble) and min (high)
          const dl = q3 ? Math.fround(d * (scales[is] - 32)) : Math.fround(d * (sc & 15));
          const ml = q3 ? 0 : Math.fround(dmin * (sc >> 4));
          const y0 = blk * QK_K + 128 * n + 32 * j + 16 * part;
          for (let l = 0; l < 16; l++) {
            const low = (bytes[q + 16 * part + l] >> (2 * j)) & 3;
            if (q3) out[y0 + l] = dl * (low - ((bytes[o + 16 * part + l] >> (4 * n + j)) & 1 ? 0 : 4));
            else out[y0 + l] = Math.fround(dl * low) - ml;
          }
        }
      }
    }
  }
  return out;
}

export function q2_KToF32(bytes: Uint8Array, count: number): Float32Array {
  return decodeK23(bytes, count, false);
}

export function q3_KToF32(bytes: Uint8Array, count: number): Float32Array {
  return decodeK23(bytes, count, true);
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

/** f16 d, 16 bytes of nibbles: 32 values. */
export const IQ4_NL_BYTES = 18;
/** f16 d, u16 scales_h, 4 bytes scales_l, 128 bytes of nibbles: 256 values. */
export const IQ4_XS_BYTES = 136;

/** The 16 levels a nibble of IQ4_NL / IQ4_XS stands for: kvalues_iq4nl of llama.cpp's ggml/src/ggml-common.h (MIT). */
const IQ4_LEVELS: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

/** 32 values from the 16 bytes at q: value l is byte l's low nibble's level, value 16 + l its high one's, times `scale`. */
function levels32(bytes: Uint8Array, q: number, scale: number, out: Float32Array, y0: number): void {
  for (let l = 0; l < 16; l++) {
    const b = bytes[q + l];
    out[y0 + l] = scale * IQ4_LEVELS[b & 15];
    out[y0 + 16 + l] = scale * IQ4_LEVELS[b >> 4];
  }
}

/** IQ4_NL: x = d·level(q) in blocks of 32, Q4_0's layout with the levels in place of q − 8. */
export function iq4_nlToF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let blk = 0; blk < count / 32; blk++) levels32(bytes, blk * IQ4_NL_BYTES + 2, half(bytes, blk * IQ4_NL_BYTES), out, 32 * blk);
  return out;
}

/**
 * IQ4_XS: group g of 32 values (g = 0..7) is IQ4_NL's 16 bytes at 8 + 16g with scale d·(s − 32), s
 * a 6-bit scale: the low 4 bits are nibble g % 2 (low first) of scales_l[g / 2], the top 2 bits
 * are bits 2g, 2g + 1 of the little-endian u16 scales_h.
 */
export function iq4_xsToF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let blk = 0; blk < count / QK_K; blk++) {
    const o = blk * IQ4_XS_BYTES;
    const d = half(bytes, o);
    const high = bytes[o + 2] | (bytes[o + 3] << 8);
    for (let g = 0; g < 8; g++) {
      const s = ((bytes[o + 4 + (g >> 1)] >> (4 * (g & 1))) & 15) | (((high >> (2 * g)) & 3) << 4);
      levels32(bytes, o + 8 + 16 * g, Math.fround(d * (s - 32)), out, blk * QK_K + 32 * g);
    }
  }
  return out;
}
