import { describe, expect, it } from 'vitest';
import { attentionBackwardRef, attentionRef, type AttentionOptions } from './attention';
import { randn } from './rng';
import { expectClose } from './testing';

describe('attention twin, hand-computed', () => {
  it('one head, two tokens, D = 1', () => {
    // q = [1, 2], k = [0, 1], v = [10, 20], scale 1.
    // token 0 sees only key 0: out = 10, lse = 0 * 1 = 0.
    // token 1 scores: 2*0 = 0 and 2*1 = 2 -> softmax [1, e^2]/(1+e^2).
    const o: AttentionOptions = { batch: 1, seqLen: 2, heads: 1, kvHeads: 1, headDim: 1, scale: 1 };
    const { out, lse } = attentionRef([1, 2], [0, 1], [10, 20], o);
    const e2 = Math.exp(2);
    expectClose(out, [10, (10 + 20 * e2) / (1 + e2)], 1e-15);
    expectClose(lse, [0, Math.log(1 + e2)], 1e-15);
  });
  it('grouped heads read their kv head and batches do not mix', () => {
    // 4 query heads over 2 kv heads; with uniform scores (q = 0) the output is the running mean of v.
    const o: AttentionOptions = { batch: 2, seqLen: 3, heads: 4, kvHeads: 2, headDim: 2 };
    const T = 6;
    const q = new Float64Array(T * 4 * 2);
    const k = Float64Array.from(randn(T * 2 * 2, 3));
    const v = Float64Array.from(randn(T * 2 * 2, 4));
    const { out, lse } = attentionRef(q, k, v, o);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 3; i++)
        for (let h = 0; h < 4; h++)
          for (let d = 0; d < 2; d++) {
            const g = h >> 1;
            let mean = 0;
            for (let j = 0; j <= i; j++) mean += v[((b * 3 + j) * 2 + g) * 2 + d] / (i + 1);
            expect(Math.abs(out[((b * 3 + i) * 4 + h) * 2 + d] - mean)).toBeLessThan(1e-14);
            expect(Math.abs(lse[(b * 3 + i) * 4 + h] - Math.log(i + 1))).toBeLessThan(1e-14);
          }
  });
});

describe('attention backward twin vs central differences', () => {
  const o: AttentionOptions = { batch: 2, seqLen: 4, heads: 4, kvHeads: 2, headDim: 3 };
  const T = o.batch * o.seqLen;
  const q = Float64Array.from(randn(T * 4 * 3, 31));
  const k = Float64Array.from(randn(T * 2 * 3, 32));
  const v = Float64Array.from(randn(T * 2 * 3, 33));
  const dout = Float64Array.from(randn(T * 4 * 3, 34));
  const loss = (qq: Float64Array, kk: Float64Array, vv: Float64Array) => attentionRef(qq, kk, vv, o).out.reduce((a, x, i) => a + x * dout[i], 0);
  const fd = (which: 0 | 1 | 2) => {
    const args = [q, k, v];
    const g = new Float64Array(args[which].length);
    const h = 1e-6;
    for (let i = 0; i < g.length; i++) {
      const p = args.map((a) => a.slice()),
        m = args.map((a) => a.slice());
      p[which][i] += h;
      m[which][i] -= h;
      g[i] = (loss(p[0], p[1], p[2]) - loss(m[0], m[1], m[2])) / (2 * h);
    }
    return g;
  };
  it('dq, dk (summed over the group), dv', () => {
    const { out, lse } = attentionRef(q, k, v, o);
    const { dq, dk, dv } = attentionBackwardRef(dout, q, k, v, out, lse, o);
    expectClose(dq, fd(0), 1e-7);
    expectClose(dk, fd(1), 1e-7);
    expectClose(dv, fd(2), 1e-7);
  });
});
