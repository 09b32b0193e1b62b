// float64 twin of GPTQ as AutoGPTQ's `fasterquant` runs it (desc_act optional, static_groups
// false), with the studio's min/max quantizers (reference/quantize.ts):
//   H = 2·XᵀX / tokens; dead columns (zero diagonal): H[i,i] = 1, W[:,i] = 0; act-order permutes
//   the columns by descending diagonal; H += damp·mean(diag H)·I; U = the upper Cholesky factor
//   of H⁻¹ (cholesky, cholesky_inverse, cholesky upper: AutoGPTQ's path, not the GPU's);
//   then column by column in blocks of `blockSize`: a group's min/max from W when its first
//   column comes up (W holds the updates of earlier blocks only), q = Q(w), err = (w − q)/U[i,i],
//   the block's later columns −= err·U[i, ·], and after each block the later columns of W
//   −= Err·U[block, later].
import type { QuantSpec } from '../core/quant-spec';
import { codeRef, groupParamsRef } from './quantize';

export interface GptqOptions {
  /** Dampening as a fraction of the mean diagonal (AutoGPTQ's damp_percent, 0.01). */
  dampPercent: number;
  /** Columns in descending order of H's diagonal (desc_act), groups formed in that order. */
  actOrder: boolean;
  /** Columns per lazy batch update (128). */
  blockSize: number;
}

export const GPTQ_DEFAULTS: GptqOptions = { dampPercent: 0.01, actOrder: false, blockSize: 128 };

export interface RefGptq {
  /** [rows, cols] in the original column order. */
  codes: Float64Array;
  /** [rows, nGroups], group k = permuted columns [k·g, (k+1)·g). */
  scales: Float64Array;
  zeros: Float64Array;
  /** Dequantized weights [rows, cols], original column order. */
  deq: Float64Array;
  /** Group of each original input column. */
  gIdx: Int32Array;
  /** perm[k] = the original column quantized k-th. */
  perm: Int32Array;
  /** AutoGPTQ's loss estimate per row: Σ (w − q)² / U[i,i]² / 2. */
  losses: Float64Array;
  /** The upper Cholesky factor of the damped H⁻¹ (permuted order) the loop used. */
  u: Float64Array;
  dead: number[];
}

/** H = 2·XᵀX / tokens for X [tokens, cols]. */
export function hessianRef(x: ArrayLike<number>, tokens: number, cols: number): Float64Array {
  const h = new Float64Array(cols * cols);
  for (let t = 0; t < tokens; t++) {
    const row = t * cols;
    for (let i = 0; i < cols; i++) {
      const xi = x[row + i];
      if (xi === 0) continue;
      for (let j = 0; j < cols; j++) h[i * cols + j] += xi * x[row + j];
    }
  }
  const f = 2 / tokens;
  for (let i = 0; i < h.length; i++) h[i] *= f;
  return h;
}

/** Lower Cholesky factor L (A = L·Lᵀ) of a symmetric positive definite [n, n]. */
export function choleskyLowerRef(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] ** 2;
    if (!(d > 0)) throw new Error(`Cholesky: the matrix is not positive definite (pivot ${j} is ${d})`);
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  return l;
}

/** A⁻¹ from its lower Cholesky factor (torch.cholesky_inverse). */
function choleskyInverseRef(l: Float64Array, n: number): Float64Array {
  // L⁻¹ by forward substitution, then A⁻¹ = L⁻ᵀ·L⁻¹.
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    m[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k] * m[k * n + j];
      m[i * n + j] = -s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += m[k * n + i] * m[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/** U upper with H⁻¹ = Uᵀ·U (torch.linalg.cholesky(cholesky_inverse(cholesky(H)), upper=True)). */
export function upperCholeskyOfInverseRef(h: ArrayLike<number>, n: number): Float64Array {
  const inv = choleskyInverseRef(choleskyLowerRef(h, n), n);
  const l = choleskyLowerRef(inv, n);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) u[i * n + j] = l[j * n + i];
  return u;
}

/** The damped, dead-fixed, permuted Hessian and what was decided on the way (shared with the GPU path). */
export function prepareHessianRef(
  h: ArrayLike<number>,
  n: number,
  opts: Pick<GptqOptions, 'dampPercent' | 'actOrder'>,
): { h: Float64Array; perm: Int32Array; dead: number[]; damp: number } {
  const diag = Array.from({ length: n }, (_, i) => h[i * n + i]);
  const dead = diag.flatMap((d, i) => (d === 0 ? [i] : []));
  for (const i of dead) diag[i] = 1;
  const perm = gptqPermutation(diag, opts.actOrder);
  const damp = opts.dampPercent * (diag.reduce((a, b) => a + b, 0) / n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * n + j] = perm[i] === perm[j] ? diag[perm[i]] : h[perm[i] * n + perm[j]];
    out[i * n + i] += damp;
  }
  return { h: out, perm, dead, damp };
}

/** Identity, or the columns by descending diagonal (ties by index: a stable order). */
export function gptqPermutation(diag: ArrayLike<number>, actOrder: boolean): Int32Array {
  const idx = Int32Array.from({ length: diag.length }, (_, i) => i);
  if (!actOrder) return idx;
  return Int32Array.from(Array.from(idx).sort((a, b) => diag[b] - diag[a] || a - b));
}

export function gptqRef(
  w0: ArrayLike<number>,
  rows: number,
  cols: number,
  h0: ArrayLike<number>,
  spec: QuantSpec,
  options: Partial<GptqOptions> = {},
  /** Use this factor instead of computing one (the GPU tests feed both sides the same U). */
  givenU?: ArrayLike<number>,
): RefGptq {
  const opts = { ...GPTQ_DEFAULTS, ...options };
  const perChannel = !(spec.groupSize > 0) || spec.groupSize >= cols;
  const g = perChannel ? cols : spec.groupSize;
  const nG = Math.ceil(cols / g);
  const scales = new Float64Array(rows * nG);
  const zeros = new Float64Array(rows * nG);
  const { h, perm, dead } = prepareHessianRef(h0, cols, opts);
  // Per-channel parameters come from the weights as given (AutoGPTQ finds them before zeroing dead columns).
  const rowParams: { s: number; z: number; hi: number }[] = [];
  if (perChannel) {
    for (let r = 0; r < rows; r++) {
      let mn = Infinity,
        mx = -Infinity;
      for (let c = 0; c < cols; c++) {
        mn = Math.min(mn, w0[r * cols + c]);
        mx = Math.max(mx, w0[r * cols + c]);
      }
      rowParams.push(groupParamsRef(mn, mx, spec));
    }
  }
  const deadSet = new Set(dead);
  // W in permuted column order, dead columns zeroed.
  const w = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) w[r * cols + c] = deadSet.has(perm[c]) ? 0 : w0[r * cols + perm[c]];
  const u = givenU ? Float64Array.from(givenU) : upperCholeskyOfInverseRef(h, cols);
  const codes = new Float64Array(rows * cols);
  const deq = new Float64Array(rows * cols);
  const losses = new Float64Array(rows);
  const gIdx = new Int32Array(cols);
  for (let c = 0; c < cols; c++) gIdx[perm[c]] = Math.floor(c / g);
  const bs = opts.blockSize;
  // The quantizer's parameters per row; a group's stay in force across block boundaries.
  const params = perChannel ? rowParams : Array.from({ length: rows }, () => ({ s: 1, z: 0, hi: 1 }));
  for (let i1 = 0; i1 < cols; i1 += bs) {
    const i2 = Math.min(i1 + bs, cols);
    const count = i2 - i1;
    const err = new Float64Array(rows * count);
    for (let r = 0; r < rows; r++) {
      const w1 = w.slice(r * cols + i1, r * cols + i2);
      let p = params[r];
      for (let i = 0; i < count; i++) {
        const col = i1 + i;
        if (!perChannel && col % g === 0) {
          // From W (earlier blocks' updates only), not W1.
          let mn = Infinity,
            mx = -Infinity;
          for (let c = col; c < Math.min(col + g, cols); c++) {
            mn = Math.min(mn, w[r * cols + c]);
            mx = Math.max(mx, w[r * cols + c]);
          }
          p = params[r] = groupParamsRef(mn, mx, spec);
          scales[r * nG + col / g] = p.s;
          zeros[r * nG + col / g] = p.z;
        }
        const x = w1[i];
        const code = codeRef(x, p.s, p.z, p.hi);
        const q = (code - p.z) * p.s;
        codes[r * cols + perm[col]] = code;
        deq[r * cols + perm[col]] = q;
        const d = u[col * cols + col];
        losses[r] += (x - q) ** 2 / d ** 2 / 2;
        const e = (x - q) / d;
        err[r * count + i] = e;
        for (let j = i + 1; j < count; j++) w1[j] -= e * u[col * cols + i1 + j];
      }
      if (perChannel) {
        scales[r] = p.s;
        zeros[r] = p.z;
      }
    }
    for (let r = 0; r < rows; r++) {
      for (let c = i2; c < cols; c++) {
        let s = 0;
        for (let t = 0; t < count; t++) s += err[r * count + t] * u[(i1 + t) * cols + c];
        w[r * cols + c] -= s;
      }
    }
  }
  return { codes, scales, zeros, deq, gIdx, perm, losses, u, dead };
}

/** ‖(W − Q)·Xᵀ‖² expressed through H = 2·XᵀX/tokens: tokens/2 · Σ_r Δ_r·H·Δ_rᵀ. */
export function outputErrorRef(w: ArrayLike<number>, q: ArrayLike<number>, rows: number, cols: number, h: ArrayLike<number>): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < cols; i++) {
      const di = w[r * cols + i] - q[r * cols + i];
      if (di === 0) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += h[i * cols + j] * (w[r * cols + j] - q[r * cols + j]);
      total += di * s;
    }
  }
  return total;
}
