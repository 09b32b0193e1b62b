// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts. The matmul attention
// path (forced: without tensor cores attentionPath() picks flash) against the float64 twin, alone
// and mixed with the flash path (either backward after either forward). Here every operand is f32;
// the f16 instantiation is test:device's (src/cli/test-device.ts) on a GPU with tensor cores.
import type { Gpu } from '../gpu/gpu';
import { attentionPath, causalAttention, causalAttentionBackward, type AttentionPath, type CausalAttentionOptions } from './attention';
import { attentionBackwardRef, attentionRef, type AttentionOptions } from '../reference/attention';
import { randn } from '../reference/rng';
import { ropeInputs } from './rope';
import { ropeRef } from '../reference/rope';
import { assertClose } from '../reference/compare';

async function check(gpu: Gpu, o: AttentionOptions, seed: number, forward: AttentionPath, backward: AttentionPath): Promise<void> {
  const T = o.batch * o.seqLen;
  const qn = T * o.heads * o.headDim,
    kn = T * o.kvHeads * o.headDim;
  const q = randn(qn, seed),
    k = randn(kn, seed + 1),
    v = randn(kn, seed + 2),
    dout = randn(qn, seed + 3);
  const tag = `${forward} then ${backward}: B=${o.batch} S=${o.seqLen} Hq=${o.heads} Hkv=${o.kvHeads} D=${o.headDim}`;
  const qg = gpu.upload(q, [T, o.heads * o.headDim]);
  const kg = gpu.upload(k, [T, o.kvHeads * o.headDim]);
  const vg = gpu.upload(v, [T, o.kvHeads * o.headDim]);
  const fwd = causalAttention(gpu, qg, kg, vg, { ...o, path: forward });
  const ref = attentionRef(q, k, v, o);
  const out = await fwd.out.readF32();
  const lse = await fwd.lse.readF32();
  assertClose(`out ${tag}`, out, ref.out);
  assertClose(`lse ${tag}`, lse, ref.lse);
  // The backward takes this forward's own out and lse (the chain the model runs); the twin takes
  // the same f32 values, so the comparison measures the backward alone.
  const bo: CausalAttentionOptions = { ...o, path: backward };
  const g = causalAttentionBackward(gpu, gpu.upload(dout, [T, o.heads * o.headDim]), qg, kg, vg, fwd.out, fwd.lse, bo);
  const gr = attentionBackwardRef(dout, q, k, v, out, lse, o);
  assertClose(`dq ${tag}`, await g.dq.readF32(), gr.dq);
  assertClose(`dk ${tag}`, await g.dk.readF32(), gr.dk);
  assertClose(`dv ${tag}`, await g.dv.readF32(), gr.dv);
  for (const t of [qg, kg, vg, fwd.out, fwd.lse, g.dq, g.dk, g.dv]) t.release();
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'GQA rep 3 (6 heads over 2 kv heads), D=8, batch 2, ragged seqLen 13'(gpu) {
    await check(gpu, { batch: 2, seqLen: 13, heads: 6, kvHeads: 2, headDim: 8 }, 1100, 'matmul', 'matmul');
  },
  async 'GQA rep 2 (4 heads over 2 kv heads), D=64, batch 2, seqLen 37, custom scale'(gpu) {
    await check(gpu, { batch: 2, seqLen: 37, heads: 4, kvHeads: 2, headDim: 64, scale: 0.2 }, 1200, 'matmul', 'matmul');
  },
  async 'multi-head (rep 1), D=8, seqLen 1 and 2'(gpu) {
    await check(gpu, { batch: 3, seqLen: 1, heads: 2, kvHeads: 2, headDim: 8 }, 1300, 'matmul', 'matmul');
    await check(gpu, { batch: 2, seqLen: 2, heads: 3, kvHeads: 1, headDim: 8 }, 1310, 'matmul', 'matmul');
  },
  async 'mixed: matmul forward then flash backward, flash forward then matmul backward'(gpu) {
    await check(gpu, { batch: 2, seqLen: 29, heads: 6, kvHeads: 2, headDim: 64 }, 1400, 'matmul', 'flash');
    await check(gpu, { batch: 2, seqLen: 21, heads: 6, kvHeads: 3, headDim: 8 }, 1410, 'flash', 'matmul');
  },
  async 'longer rows: seqLen 150 and 1030 (rows wider than the softmax workgroup, its four-wide loop)'(gpu) {
    await check(gpu, { batch: 1, seqLen: 150, heads: 3, kvHeads: 1, headDim: 8 }, 1500, 'matmul', 'matmul');
    await check(gpu, { batch: 1, seqLen: 1030, heads: 2, kvHeads: 1, headDim: 8 }, 1510, 'matmul', 'matmul');
  },
  async "unmerged dq and dk (leaveSplit 'qk') through RoPE's inverse give the bits of the merged ones"(gpu) {
    const o = { batch: 2, seqLen: 11, heads: 6, kvHeads: 2, headDim: 8, path: 'matmul' as const };
    const T = o.batch * o.seqLen;
    const [q, k, v] = [gpu.upload(randn(T * 48, 1600), [T, 48]), gpu.upload(randn(T * 16, 1601), [T, 16]), gpu.upload(randn(T * 16, 1602), [T, 16])];
    const dout = gpu.upload(randn(T * 48, 1603), [T, 48]);
    const fwd = causalAttention(gpu, q, k, v, o);
    const r = { headDim: 8, seqLen: o.seqLen, theta: 10000, style: 'half' as const, inverse: true };
    const turned = async (qkSplit: boolean) => {
      const g = causalAttentionBackward(gpu, dout, q, k, v, fwd.out, fwd.lse, o, {}, qkSplit ? 'qk' : 'none');
      if (g.split !== (qkSplit ? 'qk' : 'none')) throw new Error(`qkSplit ${qkSplit}: the result says ${g.split}`);
      const rep = qkSplit ? 3 : undefined;
      const ys = ropeInputs(
        gpu,
        [
          { x: g.dq, heads: 6, splitIn: rep },
          { x: g.dk, heads: 2, splitIn: rep && 1 },
        ],
        r,
      );
      return Promise.all([...ys, g.dv].map((t) => t.readF32()));
    };
    const merged = await turned(false);
    const split = await turned(true);
    ['dq', 'dk', 'dv'].forEach((name, i) => {
      const j = split[i].findIndex((x, n) => !Object.is(x, merged[i][n]));
      if (j >= 0) throw new Error(`${name}: ${split[i][j]} != ${merged[i][j]} at ${j}`);
    });
    assertClose(
      'dq through the inverse',
      merged[0],
      ropeRef(
        attentionBackwardRef(await dout.readF32(), await q.readF32(), await k.readF32(), await v.readF32(), await fwd.out.readF32(), await fwd.lse.readF32(), o)
          .dq,
        { ...r, heads: 6 },
      ),
    );
  },
  async 'selection: flash without the f16 tensor-core policy'(gpu) {
    // CI's SwiftShader offers no subgroup matrices, so the policy is off and every call is flash
    for (const o of [
      { batch: 1, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 },
      { batch: 4, seqLen: 512, heads: 32, kvHeads: 8, headDim: 64 },
    ])
      if (attentionPath(gpu, o) !== 'flash') throw new Error(`attentionPath chose ${attentionPath(gpu, o)} on a device without tensor cores`);
  },
};
