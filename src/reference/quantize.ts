// float64 twin of shaders/quantize.wgsl (same conventions; see there).
import { effectiveGroupSize, groupCount, type QuantizedLinear, type QuantSpec } from '../core/quant-spec';

/** Round half to even, as torch.round and WGSL round() do. */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface RefQuantized {
  codes: Float64Array;
  scales: Float64Array;
  zeros: Float64Array;
  deq: Float64Array;
}

/** The min/max quantizer of one group (shaders/quant-common.wgsl's minMaxQuant). */
export function groupParamsRef(mn: number, mx: number, spec: QuantSpec): { s: number; z: number; hi: number } {
  if (spec.symmetric) {
    const half = 2 ** (spec.bits - 1);
    return { s: Math.max(Math.abs(mn), Math.abs(mx), 1e-5) / (half - 1), z: half, hi: 2 * half - 1 };
  }
  const hi = 2 ** spec.bits - 1;
  const s = Math.max(mx - mn, 1e-5) / hi;
  return { s, z: Math.min(Math.max(-roundEven(mn / s), 0), hi), hi };
}

/** The code of w in a group with scale s and zero point z (codes in [0, hi]). */
export function codeRef(w: number, s: number, z: number, hi: number): number {
  return Math.min(Math.max(roundEven(w / s) + z, 0), hi);
}

export function quantizeRef(w: ArrayLike<number>, rows: number, cols: number, spec: QuantSpec, colScale?: ArrayLike<number>): RefQuantized {
  const g = effectiveGroupSize(spec, cols);
  const nG = groupCount(spec, cols);
  const codes = new Float64Array(rows * cols);
  const deq = new Float64Array(rows * cols);
  const scales = new Float64Array(rows * nG);
  const zeros = new Float64Array(rows * nG);
  const at = (r: number, c: number) => w[r * cols + c] * (colScale ? colScale[c] : 1);
  for (let r = 0; r < rows; r++) {
    for (let gi = 0; gi < nG; gi++) {
      const c0 = gi * g;
      const c1 = Math.min(c0 + g, cols);
      let mn = Infinity;
      let mx = -Infinity;
      for (let c = c0; c < c1; c++) {
        mn = Math.min(mn, at(r, c));
        mx = Math.max(mx, at(r, c));
      }
      const { s, z, hi } = groupParamsRef(mn, mx, spec);
      scales[r * nG + gi] = s;
      zeros[r * nG + gi] = z;
      for (let c = c0; c < c1; c++) {
        const q = codeRef(at(r, c), s, z, hi);
        codes[r * cols + c] = q;
        deq[r * cols + c] = (q - z) * s;
      }
    }
  }
  return { codes, scales, zeros, deq };
}

/** float64 (code - zero) * scale of a stored Linear, [rows, cols]; act-order groups through its gIdx. */
export function dequantizeRef(q: QuantizedLinear): Float64Array {
  const g = effectiveGroupSize(q.spec, q.cols);
  const nG = groupCount(q.spec, q.cols);
  const w = new Float64Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++)
    for (let c = 0; c < q.cols; c++) {
      const k = r * nG + (q.gIdx ? q.gIdx[c] : Math.floor(c / g));
      w[r * q.cols + c] = (q.codes[r * q.cols + c] - q.zeros[k]) * q.scales[k];
    }
  return w;
}

/** dequantizeRef of every Linear, by HF tensor name ("<module>.weight"). */
export function dequantizedWeightsRef(linears: ReadonlyMap<string, QuantizedLinear>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [name, l] of linears) out.set(`${name}.weight`, dequantizeRef(l));
  return out;
}
