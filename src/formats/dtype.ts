// Little-endian element decoding to f32: F32, F16, BF16 and GGML's Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1
// blocks (the k-quants: ggml-kquants.ts).

/** IEEE half (binary16) bits to a number; exact, subnormals, infinities and NaN included. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const HALF_TABLE = (() => {
  const t = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) t[i] = halfToFloat(i);
  return t;
})();

/** The little-endian f16 at byte o, as a number. */
export const halfAt = (bytes: Uint8Array, o: number) => HALF_TABLE[bytes[o] | (bytes[o + 1] << 8)];

/**
 * The f32 values of little-endian bytes. A read that filled a buffer of its own (a file reader's
 * fresh allocation) is viewed in place: no copy of what may be hundreds of MB per tensor. Any other
 * bytes are copied, so the result never aliases a buffer someone else holds.
 */
export function f32FromBytes(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >>> 2;
  const ownsBuffer =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength % 4 === 0 && bytes.buffer instanceof ArrayBuffer;
  if (ownsBuffer) return new Float32Array(bytes.buffer);
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n * 4));
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(bytes.subarray(0, n * 4));
  return out;
}

export function f16ToF32(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >>> 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = HALF_TABLE[bytes[2 * i] | (bytes[2 * i + 1] << 8)];
  return out;
}

/** bfloat16 is the top half of an f32. */
export function bf16ToF32(bytes: Uint8Array): Float32Array {
  const n = bytes.byteLength >>> 1;
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >>> 0;
  return new Float32Array(bits.buffer);
}

export const Q8_0_BLOCK = 32;
export const Q8_0_BYTES = 34;

/** GGML Q8_0: blocks of 32 values, each an f16 scale d then 32 int8 q; x = d * q. */
export function q8_0ToF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const blocks = count / Q8_0_BLOCK;
  for (let b = 0; b < blocks; b++) {
    const o = b * Q8_0_BYTES;
    const d = halfAt(bytes, o);
    for (let i = 0; i < Q8_0_BLOCK; i++) {
      const q = bytes[o + 2 + i];
      out[b * Q8_0_BLOCK + i] = d * (q > 127 ? q - 256 : q);
    }
  }
  return out;
}

export const Q4_0_BYTES = 18;
export const Q5_0_BYTES = 22;
export const Q4_1_BYTES = 20;
export const Q5_1_BYTES = 24;

/**
 * GGML's 32-value blocks of nibbles (llama.cpp dequantize_row_q4_0 / q4_1 / q5_0 / q5_1): an f16
 * scale d, for the _1 types an f16 min m after it, for the Q5 types a u32 of fifth bits (bit j =
 * element j), then 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31.
 * _0: x = (q − zero)·d; _1: x = q·d + m.
 */
function nibbleBlocksToF32(bytes: Uint8Array, count: number, size: number, min: boolean, fifth: boolean, zero: number): Float32Array {
  const out = new Float32Array(count);
  const qhAt = min ? 4 : 2;
  const qsAt = qhAt + (fifth ? 4 : 0);
  for (let b = 0; b < count / 32; b++) {
    const o = b * size;
    const d = halfAt(bytes, o);
    const m = min ? halfAt(bytes, o + 2) : 0;
    const qh = fifth ? (bytes[o + qhAt] | (bytes[o + qhAt + 1] << 8) | (bytes[o + qhAt + 2] << 16) | (bytes[o + qhAt + 3] << 24)) >>> 0 : 0;
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + qsAt + j];
      const lo = (q & 15) | (((qh >>> j) & 1) << 4);
      const hi = (q >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      out[b * 32 + j] = min ? Math.fround(lo * d) + m : (lo - zero) * d;
      out[b * 32 + j + 16] = min ? Math.fround(hi * d) + m : (hi - zero) * d;
    }
  }
  return out;
}

export const q4_0ToF32 = (bytes: Uint8Array, count: number) => nibbleBlocksToF32(bytes, count, Q4_0_BYTES, false, false, 8);
export const q4_1ToF32 = (bytes: Uint8Array, count: number) => nibbleBlocksToF32(bytes, count, Q4_1_BYTES, true, false, 0);
export const q5_0ToF32 = (bytes: Uint8Array, count: number) => nibbleBlocksToF32(bytes, count, Q5_0_BYTES, false, true, 16);
export const q5_1ToF32 = (bytes: Uint8Array, count: number) => nibbleBlocksToF32(bytes, count, Q5_1_BYTES, true, true, 0);

/** Rounds f32 to the nearest f16 bits (ties to even); for writers and tests. */
const F32_SCRATCH = new Float32Array(1);
const U32_SCRATCH = new Uint32Array(F32_SCRATCH.buffer);

export function floatToHalf(x: number): number {
  F32_SCRATCH[0] = x;
  const u = U32_SCRATCH[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}
