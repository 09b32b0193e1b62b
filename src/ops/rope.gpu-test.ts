// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { rope, ropeInputs, ropeSideBySide, ropeSideBySideInverse } from './rope';
import { ropeRef, type RopeOptions } from '../reference/rope';
import { randn } from '../reference/rng';
import { assertClose, assertSameBits } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'rope forward and inverse vs float64 twin, both styles, large positions'(gpu) {
    const configs: (RopeOptions & { T: number })[] = [
      { T: 37, heads: 3, headDim: 16, seqLen: 13, theta: 10000, style: 'interleaved' },
      { T: 37, heads: 3, headDim: 16, seqLen: 13, theta: 10000, style: 'half' },
      { T: 26, heads: 2, headDim: 64, seqLen: 13, theta: 500000, style: 'half', positionOffset: 2035 },
      { T: 20, heads: 5, headDim: 8, seqLen: 20, theta: 10000, style: 'interleaved', positionOffset: 3 },
      {
        T: 26,
        heads: 2,
        headDim: 64,
        seqLen: 13,
        theta: 500000,
        style: 'half',
        positionOffset: 9000,
        scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
      },
      { T: 20, heads: 2, headDim: 8, seqLen: 20, theta: 10000, style: 'half', scaling: { type: 'linear', factor: 4 } },
    ];
    for (const { T, ...o } of configs) {
      const W = o.heads * o.headDim;
      const x = randn(T * W, T + W);
      const xg = gpu.upload(x, [T, W]);
      const tag = `${o.style} T=${T} H=${o.heads} D=${o.headDim} offset=${o.positionOffset ?? 0}${o.scaling ? ` ${o.scaling.type}` : ''}`;
      assertClose(`rope ${tag}`, await rope(gpu, xg, o).readF32(), ropeRef(x, o));
      const inv = { ...o, inverse: true };
      assertClose(`rope inverse ${tag}`, await rope(gpu, xg, inv).readF32(), ropeRef(x, inv));
    }
  },
  async 'q and k in one dispatch, and read from the head split, give the bits of one call each'(gpu) {
    // 2 sequences of 7 tokens, 6 query heads over 2 kv heads (3 a group), D 8
    const [B, S, H, KV, D] = [2, 7, 6, 2, 8];
    const rep = H / KV;
    const T = B * S;
    const q = randn(T * H * D, 501);
    const k = randn(T * KV * D, 502);
    for (const style of ['half', 'interleaved'] as const) {
      for (const inverse of [false, true]) {
        const o = { headDim: D, seqLen: S, theta: 10000, style, inverse };
        const tag = `${style}${inverse ? ' inverse' : ''}`;
        const qg = gpu.upload(q, [T, H * D]);
        const kg = gpu.upload(k, [T, KV * D]);
        const oneQ = await rope(gpu, qg, { ...o, heads: H }).readF32();
        const oneK = await rope(gpu, kg, { ...o, heads: KV }).readF32();
        assertClose(`rope q ${tag}`, oneQ, ropeRef(q, { ...o, heads: H }));
        const pair = ropeInputs(
          gpu,
          [
            { x: qg, heads: H },
            { x: kg, heads: KV },
          ],
          o,
        );
        assertSameBits(`pair q ${tag}`, await pair[0].readF32(), oneQ);
        assertSameBits(`pair k ${tag}`, await pair[1].readF32(), oneK);
        // the same inputs in the matmul attention path's group-major head split
        const fromSplit = ropeInputs(
          gpu,
          [
            { x: gpu.upload(toSplit(q, B, S, H, rep, D), [B * KV, rep * S, D]), heads: H, splitIn: rep },
            { x: gpu.upload(toSplit(k, B, S, KV, 1, D), [B * KV, S, D]), heads: KV, splitIn: 1 },
          ],
          o,
        );
        assertSameBits(`split q ${tag}`, await fromSplit[0].readF32(), oneQ);
        assertSameBits(`split k ${tag}`, await fromSplit[1].readF32(), oneK);
      }
    }
  },
  async 'q, k and v side by side: one dispatch gives the bits of rope on each, forward and inverse'(gpu) {
    const [B, S, H, KV, D] = [2, 7, 6, 2, 8];
    const rep = H / KV;
    const T = B * S;
    const [q, k, v] = [randn(T * H * D, 601), randn(T * KV * D, 602), randn(T * KV * D, 603)];
    // each row: q's H*D values, then k's, then v's
    const W = (H + 2 * KV) * D;
    const sideBySide = (a: Float32Array, b: Float32Array, c: Float32Array) => {
      const out = new Float32Array(T * W);
      for (let t = 0; t < T; t++) {
        out.set(a.subarray(t * H * D, (t + 1) * H * D), t * W);
        out.set(b.subarray(t * KV * D, (t + 1) * KV * D), t * W + H * D);
        out.set(c.subarray(t * KV * D, (t + 1) * KV * D), t * W + (H + KV) * D);
      }
      return out;
    };
    for (const style of ['half', 'interleaved'] as const) {
      const o = { headDim: D, seqLen: S, theta: 10000, style };
      const s = { ...o, heads: H, kvHeads: KV };
      const [qg, kg, vg] = [gpu.upload(q, [T, H * D]), gpu.upload(k, [T, KV * D]), gpu.upload(v, [T, KV * D])];
      const fwd = ropeSideBySide(gpu, gpu.upload(sideBySide(q, k, v), [T, W]), s);
      const [oneQ, oneK] = [await rope(gpu, qg, { ...o, heads: H }).readF32(), await rope(gpu, kg, { ...o, heads: KV }).readF32()];
      assertSameBits(`${style} q`, await fwd.q.readF32(), oneQ);
      assertSameBits(`${style} k`, await fwd.k.readF32(), oneK);
      assertSameBits(`${style} v`, await fwd.v.readF32(), v);
      const inv = { ...o, inverse: true };
      const [backQ, backK] = [await rope(gpu, qg, { ...inv, heads: H }).readF32(), await rope(gpu, kg, { ...inv, heads: KV }).readF32()];
      const want = sideBySide(backQ, backK, v);
      assertSameBits(`${style} inverse`, await ropeSideBySideInverse(gpu, { dq: qg, dk: kg, dv: vg }, s, false).readF32(), want);
      const split = {
        dq: gpu.upload(toSplit(q, B, S, H, rep, D), [B * KV, rep * S, D]),
        dk: gpu.upload(toSplit(k, B, S, KV, 1, D), [B * KV, S, D]),
        dv: gpu.upload(toSplit(v, B, S, KV, 1, D), [B * KV, S, D]),
      };
      assertSameBits(`${style} inverse from the head split`, await ropeSideBySideInverse(gpu, split, s, true).readF32(), want);
    }
  },
};

/** Token-major x [B*S, heads*D] in the group-major split [B*heads/rep, rep*S, D] (attention-heads.wgsl). */
function toSplit(x: Float32Array, B: number, S: number, heads: number, rep: number, D: number): Float32Array {
  const out = new Float32Array(x.length);
  const groups = heads / rep;
  for (let b = 0; b < B; b++)
    for (let i = 0; i < S; i++)
      for (let h = 0; h < heads; h++)
        for (let d = 0; d < D; d++) out[(((b * groups + Math.floor(h / rep)) * rep + (h % rep)) * S + i) * D + d] = x[((b * S + i) * heads + h) * D + d];
  return out;
}
