// GGML block encoders for stored codes (never re-quantized from weights): each block of 32 inputs
// of one row takes the group's scale and zero point, so the codes are held exactly and only the
// scale d (and minimum m = -zero * scale) are rounded to f16.
//   Q8_0: f16 d, 32 x int8 q;           x = d * q          (symmetric 8-bit, zero 128: q = code - 128)
//   Q4_1: f16 d, f16 m, 16 bytes;       x = d * q + m      (low nibbles = elements 0..15, high = 16..31)
//   Q5_1: f16 d, f16 m, u32 qh, 16 B;   x = d * q + m      (bit j of qh = fifth bit of element j)
import { floatToHalf, Q4_1_BYTES, Q5_1_BYTES, Q8_0_BYTES } from '../formats/dtype';
import { GGML_TYPE } from '../formats/gguf';
import { effectiveGroupSize, groupCount, type QuantizedLinear } from '../core/quant-spec';

export const GGML_BLOCK = 32;

export type GgmlQuantType = typeof GGML_TYPE.Q8_0 | typeof GGML_TYPE.Q4_1 | typeof GGML_TYPE.Q5_1;

export function ggmlBlockBytes(type: GgmlQuantType): number {
  return type === GGML_TYPE.Q8_0 ? Q8_0_BYTES : type === GGML_TYPE.Q4_1 ? Q4_1_BYTES : Q5_1_BYTES;
}

function putHalf(out: Uint8Array, o: number, x: number): void {
  const h = floatToHalf(x);
  out[o] = h & 0xff;
  out[o + 1] = h >> 8;
}

/** Why the stored codes of q do not fit `type` exactly, or null when they do. */
export function ggmlFitProblem(q: QuantizedLinear, type: GgmlQuantType): string | null {
  const g = effectiveGroupSize(q.spec, q.cols);
  if (q.gIdx) return 'act-order groups (GPTQ g_idx) that are not runs of consecutive inputs, but a GGML block is 32 consecutive inputs';
  if (g !== GGML_BLOCK)
    return `groups of ${g} inputs, but a ${type === GGML_TYPE.Q8_0 ? 'Q8_0' : type === GGML_TYPE.Q4_1 ? 'Q4_1' : 'Q5_1'} block is 32 inputs with one scale`;
  if (q.cols % GGML_BLOCK !== 0)
    return `rows of ${q.cols} inputs, not a multiple of 32 (GGUF's quantized types need whole blocks per row; the ragged last group has no GGML block)`;
  if (type === GGML_TYPE.Q8_0) {
    if (q.spec.bits !== 8 || !q.spec.symmetric)
      return `Q8_0 is symmetric 8-bit (x = d·q); this run is ${q.spec.bits}-bit ${q.spec.symmetric ? 'symmetric' : 'asymmetric'}`;
    if (q.zeros.some((z) => z !== 128)) return 'Q8_0 has no zero point, and some stored zero points are not 128';
  } else {
    const maxBits = type === GGML_TYPE.Q4_1 ? 4 : 5;
    if (q.spec.bits > maxBits) return `${q.spec.bits}-bit codes do not fit ${maxBits}-bit fields`;
  }
  return null;
}

export function encodeGgmlRows(q: QuantizedLinear, type: GgmlQuantType): Uint8Array {
  const problem = ggmlFitProblem(q, type);
  if (problem) throw new Error(`${q.name}: ${problem}`);
  const nG = groupCount(q.spec, q.cols);
  const bb = ggmlBlockBytes(type);
  const out = new Uint8Array(q.rows * nG * bb);
  for (let r = 0; r < q.rows; r++) {
    for (let b = 0; b < nG; b++) {
      const o = (r * nG + b) * bb;
      const s = q.scales[r * nG + b];
      const z = q.zeros[r * nG + b];
      const codes = q.codes.subarray(r * q.cols + b * GGML_BLOCK, r * q.cols + (b + 1) * GGML_BLOCK);
      putHalf(out, o, s);
      if (type === GGML_TYPE.Q8_0) {
        for (let j = 0; j < GGML_BLOCK; j++) out[o + 2 + j] = (codes[j] - 128) & 0xff;
        continue;
      }
      putHalf(out, o + 2, -z * s);
      const qs = o + (type === GGML_TYPE.Q4_1 ? 4 : 8);
      let qh = 0;
      for (let j = 0; j < 16; j++) {
        out[qs + j] = (codes[j] & 15) | ((codes[j + 16] & 15) << 4);
        qh |= ((codes[j] >> 4) & 1) << j;
        qh |= ((codes[j + 16] >> 4) & 1) << (j + 16);
      }
      if (type === GGML_TYPE.Q5_1) {
        for (let k = 0; k < 4; k++) out[o + 4 + k] = (qh >>> (8 * k)) & 0xff;
      }
    }
  }
  return out;
}
