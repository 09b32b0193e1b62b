// float64 twin of shaders/matmul.wgsl / src/ops/matmul.ts, with the same layout conventions:
// a is [batch?, M, K] ([batch?, K, M] when transA), b is [batch?, K, N] ([batch?, N, K] when
// transB); an operand holding a single matrix is shared by every batch.
type Vec = ArrayLike<number>;

export interface MatmulRefDims {
  batch?: number;
  m: number;
  k: number;
  n: number;
}

export interface MatmulRefOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** [N], added to every output row. */
  bias?: Vec;
  /** Initial output [batch, M, N] that the result is added to (the kernel's accumulate). */
  accumulateInto?: Vec;
}

export function matmulRef(a: Vec, b: Vec, dims: MatmulRefDims, opts: MatmulRefOptions = {}): Float64Array {
  const { m, k, n } = dims;
  const batch = dims.batch ?? 1;
  const alpha = opts.alpha ?? 1;
  const strideA = a.length === m * k ? 0 : m * k;
  const strideB = b.length === k * n ? 0 : k * n;
  if (a.length !== m * k * (strideA ? batch : 1)) throw new Error(`matmulRef: a has ${a.length} values`);
  if (b.length !== k * n * (strideB ? batch : 1)) throw new Error(`matmulRef: b has ${b.length} values`);
  if (opts.bias && opts.bias.length !== n) throw new Error(`matmulRef: bias has ${opts.bias.length} values, not ${n}`);
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const oa = z * strideA,
      ob = z * strideB,
      oc = z * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = opts.transA ? a[oa + p * m + i] : a[oa + i * k + p];
          const bv = opts.transB ? b[ob + j * k + p] : b[ob + p * n + j];
          s += av * bv;
        }
        let v = alpha * s;
        if (opts.bias) v += opts.bias[j];
        if (opts.accumulateInto) v += opts.accumulateInto[oc + i * n + j];
        out[oc + i * n + j] = v;
      }
    }
  }
  return out;
}
