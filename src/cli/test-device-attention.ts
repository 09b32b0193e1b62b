// test:device's attention cases: the matmul path with the precision policy on (f16 operands made by
// its own kernels, tensor-core products, f32 softmax / lse / delta / dS math) against the float64
// twin of f32 operands, and the flash path (f32) after it. Bounds per output from f16 rounding
// (u16 = 2^-11 relative; values under f16's normal range lose at most 2^-25 absolute), propagated
// to first order through each step and taken exactly through the softmax's exponentials:
// - a product of two rounded operands, a'·b' - a·b, within (2u16 + u16²)|a·b| + 2^-25(1+u16)(|a| + |b|)
//   + 2^-50, exact in f32 (f16 x f16), summed in f32 over K terms: K·2u32·Σ|a·b|;
// - scores: within E = scale·(that, over the D terms of q·k);
// - forward P: a perturbation of every score by at most E moves each probability by a factor in
//   [e^-2E, e^2E] (f32 exp and row sums add (S+8)·2u32); P then rounded to f16, v rounded, P·v
//   summed in f32;
//   |Δlse| <= E + (S+8)·2u32 + 4u32·|lse|;
// - backward (from the same f32 out and lse as the twin): P = exp(s - lse) within e^(E + f32) of the
//   twin; dP = dO·v within (2u16 + u16² + 2D·u32)·Σ|dO·v|; delta (f32, from f32 operands) within
//   2D·u32·Σ|dO·out|; dS = P(dP - delta)·scale then rounded to f16; dq = dS·k, dk = dSᵀ·q and
//   dv = Pᵀ·dO with the operand roundings and the f32 sums as above.
// The second-order remainders (products of two of these small terms in the sums) are covered by
// a factor 1.001 on every bound. A wrong index, mask or lost row gives errors of the output's own
// size, far above these bounds.
import type { Gpu } from '../gpu/gpu';
import { attentionPath, causalAttention, causalAttentionBackward, type AttentionPath } from '../ops/attention';
import { setHalfLinears } from '../ops/precision';
import { attentionBackwardRef, attentionLayout, attentionRef, type AttentionLayout, type AttentionOptions } from '../reference/attention';

const U16 = 2 ** -11;
const U32 = 2 ** -24;
const SUB = 2 ** -25;
const SECOND_ORDER = 1.001;

export interface AttentionResult {
  name: string;
  /** The forward and backward paths, and what attentionPath() would choose for this shape. */
  paths: string;
  /** Per output tensor: the worst error over its bound, and the worst error relative to the tensor's largest magnitude. */
  errors: { tensor: string; worst: number; maxRel: number }[];
  ok: boolean;
}

interface Case {
  name: string;
  o: AttentionOptions;
  forward: AttentionPath;
  backward: AttentionPath;
  /** Multiplies q (larger scores: a peakier softmax). */
  qScale?: number;
}

export const ATTENTION_CASES: Case[] = [
  { name: 'GQA rep 3, D 64, batch 2, ragged seqLen 77', o: { batch: 2, seqLen: 77, heads: 6, kvHeads: 2, headDim: 64 }, forward: 'matmul', backward: 'matmul' },
  { name: 'GQA rep 2, D 8, batch 2, seqLen 130', o: { batch: 2, seqLen: 130, heads: 4, kvHeads: 2, headDim: 8 }, forward: 'matmul', backward: 'matmul' },
  {
    name: 'peaky softmax (q x4), rep 3, D 64, seqLen 100',
    o: { batch: 1, seqLen: 100, heads: 3, kvHeads: 1, headDim: 64 },
    forward: 'matmul',
    backward: 'matmul',
    qScale: 4,
  },
  {
    name: 'SmolLM2-135M: 9 heads / 3 kv, D 64, 1 x 512',
    o: { batch: 1, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 },
    forward: 'matmul',
    backward: 'matmul',
  },
  {
    name: 'matmul forward, flash backward, rep 3, D 64, 2 x 61',
    o: { batch: 2, seqLen: 61, heads: 6, kvHeads: 2, headDim: 64 },
    forward: 'matmul',
    backward: 'flash',
  },
  {
    name: 'flash forward, matmul backward, rep 3, D 64, 2 x 61',
    o: { batch: 2, seqLen: 61, heads: 6, kvHeads: 2, headDim: 64 },
    forward: 'flash',
    backward: 'matmul',
  },
];

let seed = 777;
function uniform(n: number, scale: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    x[i] = (seed / 2 ** 32) * 4 - 2;
    x[i] *= scale;
  }
  return x;
}

/** The f32 flash kernels: relative to the tensor's largest magnitude, as the browser GPU tests check them (1e-5), with room for longer sums. */
const F32_REL = 1e-4;

function compare(tensor: string, got: Float32Array, want: Float64Array, bound: Float64Array | null) {
  let worst = 0,
    maxAbs = 1e-30,
    maxErr = 0;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const b = bound ? bound[i] * SECOND_ORDER + 1e-30 : F32_REL * maxAbs;
    const r = Number.isFinite(err) ? err / b : Infinity;
    worst = Math.max(worst, r);
    maxErr = Math.max(maxErr, Number.isFinite(err) ? err : Infinity);
  }
  return { tensor, worst, maxRel: maxErr / maxAbs };
}

/** a·b over D with both rounded to f16 and summed in f32: the exact dot and the bound on its error
 * (each rounding within u16·|x| + 2^-25; products of f16 values are exact in f32). */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, D: number): [number, number] {
  let s = 0,
    abs = 0,
    sa = 0,
    sb = 0;
  for (let d = 0; d < D; d++) {
    s += a[ao + d] * b[bo + d];
    abs += Math.abs(a[ao + d] * b[bo + d]);
    sa += Math.abs(a[ao + d]);
    sb += Math.abs(b[bo + d]);
  }
  return [s, (2 * U16 + U16 * U16 + 2 * (D + 2) * U32) * abs + SUB * (1 + U16) * (sa + sb) + D * SUB * SUB];
}

/** The exact scaled score q·k·scale and the bound on its error. */
function score(q: Float32Array, k: Float32Array, qo: number, ko: number, L: AttentionLayout): [number, number] {
  const [s, e] = dot(q, qo, k, ko, L.D);
  return [s * L.scale, e * L.scale];
}

/** |x'·y' - x·y| where x' is x moved by at most dx and y' is y rounded to f16. */
const productError = (x: number, dx: number, y: number) => dx * (Math.abs(y) * (1 + U16) + SUB) + Math.abs(x) * (U16 * Math.abs(y) + SUB);

function forwardBounds(q: Float32Array, k: Float32Array, v: Float32Array, lse: Float64Array, o: AttentionOptions): { out: Float64Array; lse: Float64Array } {
  const L = attentionLayout(o);
  const bOut = new Float64Array(q.length);
  const bLse = new Float64Array(lse.length);
  const s = new Float64Array(L.S),
    e = new Float64Array(L.S);
  for (let b = 0; b < o.batch; b++)
    for (let h = 0; h < L.Hq; h++) {
      const g = Math.floor(h / L.rep);
      for (let i = 0; i < L.S; i++) {
        const qo = L.qAt(b, i, h);
        let E = 0;
        for (let j = 0; j <= i; j++) {
          [s[j], e[j]] = score(q, k, qo, L.kvAt(b, j, g), L);
          E = Math.max(E, e[j]);
        }
        const r = (b * L.S + i) * L.Hq + h;
        const rP = Math.expm1(2 * E) + (L.S + 8) * 2 * U32;
        bLse[r] = E + (L.S + 8) * 2 * U32 + 4 * U32 * Math.abs(lse[r]);
        for (let j = 0; j <= i; j++) {
          const p = Math.exp(s[j] - lse[r]);
          const dp = (rP + U16 * (1 + rP)) * p + SUB; // the f32 probability, then rounded to f16
          const vo = L.kvAt(b, j, g);
          for (let d = 0; d < L.D; d++) bOut[qo + d] += productError(p, dp, v[vo + d]) + L.S * 2 * U32 * p * Math.abs(v[vo + d]);
        }
      }
    }
  return { out: bOut, lse: bLse };
}

function backwardBounds(
  dout: Float32Array,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  o: AttentionOptions,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const L = attentionLayout(o);
  const bq = new Float64Array(q.length),
    bk = new Float64Array(k.length),
    bv = new Float64Array(v.length);
  const K = L.S * L.rep; // the longest contracted length (dk and dv sum over every head of the group)
  for (let b = 0; b < o.batch; b++)
    for (let h = 0; h < L.Hq; h++) {
      const g = Math.floor(h / L.rep);
      for (let i = 0; i < L.S; i++) {
        const qo = L.qAt(b, i, h);
        const l = lse[(b * L.S + i) * L.Hq + h];
        let delta = 0,
          deltaAbs = 0;
        for (let d = 0; d < L.D; d++) {
          delta += dout[qo + d] * out[qo + d];
          deltaAbs += Math.abs(dout[qo + d] * out[qo + d]);
        }
        const gamma = 2 * L.D * U32 * deltaAbs;
        for (let j = 0; j <= i; j++) {
          const ko = L.kvAt(b, j, g);
          const [s, es] = score(q, k, qo, ko, L);
          const p = Math.exp(s - l);
          const rP = Math.expm1(es + 4 * U32 * (Math.abs(s) + Math.abs(l))) + 2 * U32;
          const [dp, eta] = dot(dout, qo, v, ko, L.D);
          const ds = p * (dp - delta) * L.scale;
          const dds = L.scale * (rP * p * (Math.abs(dp - delta) + eta + gamma) + p * (eta + gamma)) + 4 * U32 * Math.abs(ds);
          const ddsH = dds + U16 * (Math.abs(ds) + dds) + SUB; // after the f16 rounding
          const dpH = (rP + U16 * (1 + rP)) * p + SUB;
          for (let d = 0; d < L.D; d++) {
            bq[qo + d] += productError(ds, ddsH, k[ko + d]) + K * 2 * U32 * Math.abs(ds * k[ko + d]);
            bk[ko + d] += productError(ds, ddsH, q[qo + d]) + K * 2 * U32 * Math.abs(ds * q[qo + d]);
            bv[ko + d] += productError(p, dpH, dout[qo + d]) + K * 2 * U32 * p * Math.abs(dout[qo + d]);
          }
        }
      }
    }
  return { dq: bq, dk: bk, dv: bv };
}

async function runCase(gpu: Gpu, c: Case): Promise<AttentionResult> {
  const o = c.o;
  const T = o.batch * o.seqLen;
  const q = uniform(T * o.heads * o.headDim, c.qScale ?? 1),
    k = uniform(T * o.kvHeads * o.headDim, 1),
    v = uniform(T * o.kvHeads * o.headDim, 1),
    dout = uniform(T * o.heads * o.headDim, 1);
  const qg = gpu.upload(q, [T, o.heads * o.headDim], 'q');
  const kg = gpu.upload(k, [T, o.kvHeads * o.headDim], 'k');
  const vg = gpu.upload(v, [T, o.kvHeads * o.headDim], 'v');
  const dg = gpu.upload(dout, [T, o.heads * o.headDim], 'dout');
  const fwd = causalAttention(gpu, qg, kg, vg, { ...o, path: c.forward });
  const g = causalAttentionBackward(gpu, dg, qg, kg, vg, fwd.out, fwd.lse, { ...o, path: c.backward });
  const [out, lse, dq, dk, dv] = await Promise.all([fwd.out, fwd.lse, g.dq, g.dk, g.dv].map((t) => t.readF32()));
  for (const t of [qg, kg, vg, dg, fwd.out, fwd.lse, g.dq, g.dk, g.dv]) t.release();

  const ref = attentionRef(q, k, v, o);
  const fb = c.forward === 'matmul' ? forwardBounds(q, k, v, ref.lse, o) : null;
  // the backward from this forward's own out and lse, as the model chains them
  const gr = attentionBackwardRef(dout, q, k, v, out, lse, o);
  const bb = c.backward === 'matmul' ? backwardBounds(dout, q, k, v, out, lse, o) : null;
  const errors = [
    compare('out', out, ref.out, fb?.out ?? null),
    compare('lse', lse, ref.lse, fb?.lse ?? null),
    compare('dq', dq, gr.dq, bb?.dq ?? null),
    compare('dk', dk, gr.dk, bb?.dk ?? null),
    compare('dv', dv, gr.dv, bb?.dv ?? null),
  ];
  return {
    name: c.name,
    paths: `${c.forward} / ${c.backward} (chosen: ${attentionPath(gpu, o)})`,
    errors,
    ok: errors.every((e) => e.worst <= 1),
  };
}

/** Every attention case with the policy on for every product size (the tensor cores, where offered). */
export async function attentionCases(gpu: Gpu): Promise<AttentionResult[]> {
  if (!setHalfLinears(gpu, true, 0)) return [];
  const results: AttentionResult[] = [];
  for (const c of ATTENTION_CASES) results.push(await runCase(gpu, c));
  setHalfLinears(gpu, false);
  return results;
}

export function printAttentionResults(results: AttentionResult[]): void {
  console.log('\nattention (err/bound: worst over each tensor of |gpu - float64 twin| / its f16-derived bound; flash: 1e-4 of the largest magnitude)');
  console.log('| case | forward / backward | out | lse | dq | dk | dv | ok |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results)
    console.log(
      `| ${r.name} | ${r.paths} | ${r.errors.map((e) => `${e.worst.toFixed(3)} (${e.maxRel.toExponential(1)})`).join(' | ')} | ${r.ok ? 'ok' : 'FAIL'} |`,
    );
}
