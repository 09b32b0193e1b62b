// float64 twins of TEQ's effective weight and gradient (shaders/teq-effective.wgsl, teq-grad-group.wgsl), plus the
// straight-through surrogate whose finite differences the gradient must match.
import { effectiveGroupSize, groupCount, type QuantSpec } from '../core/quant-spec';
import { roundEven } from './quantize';

interface GroupQ {
  s: number;
  z: number;
  lo: number;
  hi: number;
  imn: number;
  imx: number;
  iabs: number;
  floored: boolean;
  den: number;
}

function groupParams(v: (c: number) => number, c0: number, c1: number, spec: QuantSpec): GroupQ {
  let mn = v(c0),
    mx = mn,
    imn = c0,
    imx = c0,
    iabs = c0;
  for (let c = c0 + 1; c < c1; c++) {
    if (v(c) < mn) {
      mn = v(c);
      imn = c;
    }
    if (v(c) > mx) {
      mx = v(c);
      imx = c;
    }
    if (Math.abs(v(c)) > Math.abs(v(iabs))) iabs = c;
  }
  if (spec.symmetric) {
    const half = 2 ** (spec.bits - 1);
    const amax = Math.max(Math.abs(mn), Math.abs(mx));
    return { s: Math.max(amax, 1e-5) / (half - 1), z: half, lo: 0, hi: 2 * half - 1, imn, imx, iabs, floored: amax < 1e-5, den: half - 1 };
  }
  const hi = 2 ** spec.bits - 1;
  const s = Math.max(mx - mn, 1e-5) / hi;
  return { s, z: Math.min(Math.max(-roundEven(mn / s), 0), hi), lo: 0, hi, imn, imx, iabs, floored: mx - mn < 1e-5, den: hi };
}

/** Weff = FQ(W·diag(α))·diag(1/α). */
export function teqEffectiveWeightRef(w: ArrayLike<number>, alpha: ArrayLike<number>, rows: number, cols: number, spec: QuantSpec): Float64Array {
  const g = effectiveGroupSize(spec, cols),
    nG = groupCount(spec, cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let gi = 0; gi < nG; gi++) {
      const c0 = gi * g,
        c1 = Math.min(c0 + g, cols);
      const v = (c: number) => w[r * cols + c] * alpha[c];
      const P = groupParams(v, c0, c1, spec);
      for (let c = c0; c < c1; c++) {
        const q = Math.min(Math.max(roundEven(v(c) / P.s) + P.z, P.lo), P.hi);
        out[r * cols + c] = ((q - P.z) * P.s) / alpha[c];
      }
    }
  return out;
}

/** dα contributions per element (twin of teq-grad-group.wgsl, one member's rows). */
export function teqGradContribRef(
  w: ArrayLike<number>,
  alpha: ArrayLike<number>,
  dWeff: ArrayLike<number>,
  rows: number,
  cols: number,
  spec: QuantSpec,
  full: boolean,
): Float64Array {
  const g = effectiveGroupSize(spec, cols),
    nG = groupCount(spec, cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let gi = 0; gi < nG; gi++) {
      const c0 = gi * g,
        c1 = Math.min(c0 + g, cols),
        base = r * cols;
      const v = (c: number) => w[base + c] * alpha[c];
      const P = groupParams(v, c0, c1, spec);
      let G = 0;
      for (let c = c0; c < c1; c++) {
        const u = v(c) / P.s,
          t = roundEven(u) + P.z,
          q = Math.min(Math.max(t, P.lo), P.hi);
        G += (dWeff[base + c] / alpha[c]) * (t < P.lo || t > P.hi ? q - P.z : roundEven(u) - u);
      }
      for (let c = c0; c < c1; c++) {
        const a = alpha[c],
          wv = w[base + c];
        const u = v(c) / P.s,
          t = roundEven(u) + P.z,
          q = Math.min(Math.max(t, P.lo), P.hi);
        const Q = (q - P.z) * P.s;
        if (full) {
          out[base + c] = (dWeff[base + c] * (wv - Q / a)) / a;
          continue;
        }
        const direct = t < P.lo || t > P.hi ? 0 : wv;
        let val = dWeff[base + c] * (direct / a - Q / (a * a));
        if (!P.floored) {
          let ds = 0;
          if (spec.symmetric) {
            if (c === P.iabs) ds = (Math.sign(v(c)) * wv) / P.den;
          } else {
            if (c === P.imx) ds += wv / P.den;
            if (c === P.imn) ds -= wv / P.den;
          }
          val += G * ds;
        }
        out[base + c] = val;
      }
    }
  return out;
}

/**
 * The straight-through surrogate of Weff around α0: rounding residuals (ste-round) or the whole
 * quantization residual (ste-full) frozen at α0, everything else a smooth function of α.
 * Its derivative is exactly what the gradient kernels compute.
 */
export function teqSurrogateWeightRef(
  w: ArrayLike<number>,
  alpha0: ArrayLike<number>,
  alpha: ArrayLike<number>,
  rows: number,
  cols: number,
  spec: QuantSpec,
  full: boolean,
): Float64Array {
  const g = effectiveGroupSize(spec, cols),
    nG = groupCount(spec, cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let gi = 0; gi < nG; gi++) {
      const c0 = gi * g,
        c1 = Math.min(c0 + g, cols),
        base = r * cols;
      const v0 = (c: number) => w[base + c] * alpha0[c];
      const P0 = groupParams(v0, c0, c1, spec);
      // s as a smooth function of α with the arg-extremes frozen at α0
      let s: number;
      if (P0.floored) s = P0.s;
      else if (spec.symmetric) s = Math.abs(w[base + P0.iabs] * alpha[P0.iabs]) / P0.den;
      else s = (w[base + P0.imx] * alpha[P0.imx] - w[base + P0.imn] * alpha[P0.imn]) / P0.den;
      for (let c = c0; c < c1; c++) {
        const u0 = v0(c) / P0.s,
          t0 = roundEven(u0) + P0.z,
          q0 = Math.min(Math.max(t0, P0.lo), P0.hi);
        let Q: number;
        if (full) Q = w[base + c] * alpha[c] + ((q0 - P0.z) * P0.s - v0(c));
        else if (t0 < P0.lo || t0 > P0.hi) Q = (q0 - P0.z) * s;
        else Q = w[base + c] * alpha[c] + s * (roundEven(u0) - u0);
        out[base + c] = Q / alpha[c];
      }
    }
  return out;
}
