// float64 twin of causal grouped-query attention. q is [T, heads*D], k and v are [T, kvHeads*D]
// with T = batch*seqLen; query head h reads kv head floor(h / (heads/kvHeads)).

export interface AttentionOptions {
  batch: number;
  seqLen: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Score scale; default 1/sqrt(headDim). */
  scale?: number;
}

export function attentionScale(o: AttentionOptions): number {
  return o.scale ?? 1 / Math.sqrt(o.headDim);
}

/** Sizes and flat offsets of the [T, heads*D] / [T, kvHeads*D] layouts (also used by the device checks). */
export interface AttentionLayout {
  S: number;
  Hq: number;
  Hkv: number;
  D: number;
  rep: number;
  scale: number;
  qAt: (b: number, i: number, h: number) => number;
  kvAt: (b: number, j: number, g: number) => number;
}

export function attentionLayout(o: AttentionOptions): AttentionLayout {
  const { seqLen: S, heads: Hq, kvHeads: Hkv, headDim: D } = o;
  if (Hq % Hkv !== 0) throw new Error(`attention: ${Hq} heads are not a multiple of ${Hkv} kv heads`);
  return {
    S,
    Hq,
    Hkv,
    D,
    rep: Hq / Hkv,
    scale: attentionScale(o),
    qAt: (b, i, h) => ((b * S + i) * Hq + h) * D,
    kvAt: (b, j, g) => ((b * S + j) * Hkv + g) * D,
  };
}

/** Scaled scores of query row i against keys 0..i. */
function scores(q: ArrayLike<number>, k: ArrayLike<number>, L: AttentionLayout, b: number, i: number, h: number): Float64Array {
  const g = Math.floor(h / L.rep);
  const s = new Float64Array(i + 1);
  const qo = L.qAt(b, i, h);
  for (let j = 0; j <= i; j++) {
    const ko = L.kvAt(b, j, g);
    let dot = 0;
    for (let d = 0; d < L.D; d++) dot += q[qo + d] * k[ko + d];
    s[j] = dot * L.scale;
  }
  return s;
}

/** out = softmax(q k^T * scale, causal) v; lse[t*heads + h] = log sum_j exp(score_j). */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, o: AttentionOptions): { out: Float64Array; lse: Float64Array } {
  const L = attentionLayout(o);
  const out = new Float64Array(o.batch * L.S * L.Hq * L.D);
  const lse = new Float64Array(o.batch * L.S * L.Hq);
  for (let b = 0; b < o.batch; b++)
    for (let i = 0; i < L.S; i++)
      for (let h = 0; h < L.Hq; h++) {
        const s = scores(q, k, L, b, i, h);
        const m = Math.max(...s);
        let sum = 0;
        for (let j = 0; j <= i; j++) sum += Math.exp(s[j] - m);
        lse[(b * L.S + i) * L.Hq + h] = m + Math.log(sum);
        const oo = L.qAt(b, i, h);
        const g = Math.floor(h / L.rep);
        for (let j = 0; j <= i; j++) {
          const p = Math.exp(s[j] - m) / sum;
          const vo = L.kvAt(b, j, g);
          for (let d = 0; d < L.D; d++) out[oo + d] += p * v[vo + d];
        }
      }
  return { out, lse };
}

/**
 * With P = exp(S - lse): dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO * O)),
 * dQ = scale dS K, dK = scale dS^T Q; dK and dV sum over the query heads sharing a kv head.
 */
export function attentionBackwardRef(
  dout: ArrayLike<number>,
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  out: ArrayLike<number>,
  lse: ArrayLike<number>,
  o: AttentionOptions,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const L = attentionLayout(o);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < o.batch; b++)
    for (let i = 0; i < L.S; i++)
      for (let h = 0; h < L.Hq; h++) {
        const g = Math.floor(h / L.rep);
        const s = scores(q, k, L, b, i, h);
        const qo = L.qAt(b, i, h);
        const l = lse[(b * L.S + i) * L.Hq + h];
        let delta = 0;
        for (let d = 0; d < L.D; d++) delta += dout[qo + d] * out[qo + d];
        for (let j = 0; j <= i; j++) {
          const p = Math.exp(s[j] - l);
          const ko = L.kvAt(b, j, g);
          let dp = 0;
          for (let d = 0; d < L.D; d++) dp += dout[qo + d] * v[ko + d];
          const ds = p * (dp - delta) * L.scale;
          for (let d = 0; d < L.D; d++) {
            dv[ko + d] += p * dout[qo + d];
            dk[ko + d] += ds * q[qo + d];
            dq[qo + d] += ds * k[ko + d];
          }
        }
      }
  return { dq, dk, dv };
}
