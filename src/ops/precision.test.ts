// The precision policy's choices, on a fake device (what runs, not the numbers: those are
// test:device's on a real GPU and the browser GPU tests' for f32).
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { pickSubgroupMatrix } from '../gpu/device';
import {
  checkHalfOverflow,
  HALF_COPIES_MAX_BYTES,
  halfMinFlops,
  kernelPaths,
  linearMatmul,
  linearPath,
  lossGradientScale,
  setHalfLinears,
  withF32,
} from './precision';
import { attentionPath, causalAttention, causalAttentionBackward } from './attention';
import { clampMin } from './teq';

const shaders = (calls: ReturnType<typeof fakeGpu>['calls']) => calls.dispatches.map((d) => d.pipeline.split('|')[0]);

describe('precision policy', () => {
  it('scales a mean loss by the power of two nearest its count (exact in f32 both ways)', () => {
    // 511 next-token losses of a 512-token window, 4 x 512 block tokens, a count between powers
    expect([511, 2048, 3, 1, 0].map(lossGradientScale)).toEqual([512, 2048, 4, 1, 1]);
    for (const n of [7, 100, 1000, 3 * 512]) {
      const s = lossGradientScale(n);
      expect(Math.log2(s) % 1).toBe(0);
      expect(s / n).toBeGreaterThan(Math.SQRT1_2 - 1e-12);
      expect(s / n).toBeLessThan(Math.SQRT2 + 1e-12);
    }
  });

  it('without subgroup matrices every Linear matmul is the f32 kernel, policy or not', () => {
    const { gpu, calls } = fakeGpu();
    expect(setHalfLinears(gpu, true)).toBe(false);
    expect(linearPath(gpu)).toBe('f32');
    linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    gpu.flush();
    expect(shaders(calls)).toEqual(['matmul.wgsl']);
    expect(calls.dispatches[0].pipeline).toContain('ELEM=f32');
    expect(kernelPaths(gpu)['Linear matmuls']).toBe('f32');
  });

  it('with subgroup matrices both operands are converted and the tensor-core kernel runs', () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    expect(setHalfLinears(gpu, true, 0)).toBe(true);
    expect(linearPath(gpu)).toBe('subgroup-matrix');
    const out = linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    gpu.flush();
    expect(out.dtype).toBe('f32');
    expect(shaders(calls).filter((s) => s !== 'matmul-splitk.wgsl')).toEqual(['cast-f16.wgsl', 'cast-f16.wgsl', 'matmul-subgroup.wgsl']);
    expect(kernelPaths(gpu)['Linear matmuls']).toMatch(/tensor cores/);
  });

  it('outputs under one 16x16 fragment and products under the size threshold stay f32, and --no-f16 turns the policy off', () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    setHalfLinears(gpu, true, 0);
    linearMatmul(gpu, gpu.tensor([8, 32]), 'x', gpu.tensor([16, 32]), 'w', { transB: true });
    setHalfLinears(gpu, true); // default threshold: 2^26 FLOP
    expect(kernelPaths(gpu)['Linear matmuls']).toMatch(/2\^26 FLOP/);
    linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    // 2 * 2048 * 2048 * 64 = 2^29 FLOP: converted (the one above, 2 * 64 * 48 * 32 = 2^17.6, is not)
    linearMatmul(gpu, gpu.tensor([2048, 64]), 'x', gpu.tensor([2048, 64]), 'w', { transB: true });
    expect(setHalfLinears(gpu, false)).toBe(false);
    linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    gpu.flush();
    expect(shaders(calls).filter((x) => x !== 'matmul-splitk.wgsl')).toEqual([
      'matmul.wgsl',
      'matmul.wgsl',
      'cast-f16.wgsl',
      'cast-f16.wgsl',
      'matmul-subgroup.wgsl',
      'matmul.wgsl',
    ]);
  });

  it('withF32 suspends the policy for what its function encodes, nested and across awaits, and no longer', async () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    setHalfLinears(gpu, true, 0);
    const product = () => linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    const smol = { batch: 1, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 };
    const kinds = () => {
      gpu.flush();
      const k = shaders(calls)
        .filter((x) => x !== 'matmul-splitk.wgsl')
        .map((x) => (x === 'matmul-subgroup.wgsl' ? 'f16' : x === 'matmul.wgsl' ? 'f32' : 'cast'));
      calls.dispatches.length = 0;
      return k.filter((x) => x !== 'cast');
    };
    product();
    expect(kinds()).toEqual(['f16']);
    const out = withF32(gpu, () => {
      product();
      expect(halfMinFlops(gpu)).toBeNull();
      expect(attentionPath(gpu, smol)).toBe('flash');
      // the policy is suspended, not changed: what the CLI and the GPU card report stays
      expect(linearPath(gpu)).toBe('subgroup-matrix');
      expect(kernelPaths(gpu)['Linear matmuls']).toMatch(/tensor cores/);
      withF32(gpu, product);
      product(); // the inner scope's end leaves the outer one open
      return 7;
    });
    expect(out).toBe(7);
    expect(kinds()).toEqual(['f32', 'f32', 'f32']);
    product();
    expect(halfMinFlops(gpu)).toBe(0);
    expect(attentionPath(gpu, smol)).toBe('matmul');
    expect(kinds()).toEqual(['f16']);

    // an async function's scope lasts until its promise settles, resolved or rejected
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const scoped = withF32(gpu, async () => {
      product();
      await gate;
      product();
      return 'done';
    });
    product(); // encoded while the scope is open: f32 as well (one job per device)
    release();
    expect(await scoped).toBe('done');
    product();
    expect(kinds()).toEqual(['f32', 'f32', 'f32', 'f16']);
    await expect(
      withF32(gpu, async () => {
        product();
        throw new Error('search failed');
      }),
    ).rejects.toThrow('search failed');
    expect(() =>
      withF32(gpu, () => {
        throw new Error('bad input');
      }),
    ).toThrow('bad input');
    product();
    expect(kinds()).toEqual(['f32', 'f16']);
    setHalfLinears(gpu, false);
  });

  it('without the policy (CI, --no-f16) withF32 encodes exactly what the same calls encode outside it', () => {
    for (const [half, policy] of [
      [false, true],
      [true, false],
    ] as const) {
      const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, half);
      setHalfLinears(gpu, policy, 0);
      const work = () => {
        linearMatmul(gpu, gpu.tensor([512, 64]), 'x', gpu.tensor([172, 64]), 'w', { transB: true });
        linearMatmul(gpu, gpu.tensor([512, 172]), 'dy', gpu.tensor([512, 64]), 'x', { transA: true });
        const o = { batch: 1, seqLen: 64, heads: 2, kvHeads: 1, headDim: 32 };
        causalAttention(gpu, gpu.tensor([64, 64]), gpu.tensor([64, 32]), gpu.tensor([64, 32]), o);
        gpu.flush();
        const ran = calls.dispatches.map((d) => `${d.pipeline} ${d.workgroups.join('x')}`);
        calls.dispatches.length = 0;
        return ran;
      };
      const outside = work();
      expect(outside.some((x) => x.startsWith('matmul.wgsl'))).toBe(true);
      expect(withF32(gpu, work)).toEqual(outside);
    }
  });

  it('attention takes the matmul path only with the policy on, products past its threshold and scores under the cap', () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    // SmolLM2-135M's attention on one 512-token window: 2·9·512²·64 = 2^28.2 FLOP per product
    const smol = { batch: 1, seqLen: 512, heads: 9, kvHeads: 3, headDim: 64 };
    expect(attentionPath(gpu, smol)).toBe('flash');
    expect(kernelPaths(gpu).attention).toBe('flash kernels (f32)');
    setHalfLinears(gpu, true);
    expect(attentionPath(gpu, smol)).toBe('matmul');
    expect(kernelPaths(gpu).attention).toMatch(
      /tensor cores .* head dims of 32 and more where the scores take up to 256 MiB and their product 2\^28 FLOP or more; flash kernels \(f32\) otherwise/,
    );
    expect(attentionPath(gpu, { ...smol, seqLen: 256 })).toBe('flash'); // 2^26.2 FLOP
    // 4·8·9·512² scores = 288 MiB > 256 MiB
    expect(attentionPath(gpu, { ...smol, batch: 32 })).toBe('flash');
    expect(attentionPath(gpu, { ...smol, batch: 28 })).toBe('matmul');
    setHalfLinears(gpu, true, 0);
    expect(attentionPath(gpu, { ...smol, seqLen: 16 })).toBe('matmul');
    // stories260K's head dim 8: flash however large
    expect(attentionPath(gpu, { batch: 16, seqLen: 512, heads: 8, kvHeads: 4, headDim: 8 })).toBe('flash');
    // the matmul path's operands come f16 from its own kernels; every product is on the tensor
    // cores; the backward finds the forward's splits of q, k and v kept (q, k, v unchanged) and
    // splits dout in its delta pass; it can leave dq and dk (or all three) unmerged for RoPE's inverse
    const o = { batch: 1, seqLen: 32, heads: 4, kvHeads: 2, headDim: 32 };
    const q = gpu.tensor([32, 128]);
    const [k, v] = [gpu.tensor([32, 64]), gpu.tensor([32, 64])];
    const { out, lse } = causalAttention(gpu, q, k, v, o);
    causalAttentionBackward(gpu, gpu.tensor([32, 128]), q, k, v, out, lse, o);
    gpu.flush();
    const ran = calls.dispatches.map((d) => d.pipeline).filter((x) => !x.startsWith('matmul-splitk'));
    const short = ran.map((x) => `${x.split('|')[0].replace('.wgsl', '')}${/F16=true/.test(x) ? ' f16' : ''}`);
    expect(short).toEqual([
      ...[
        'attention-heads f16',
        'attention-heads f16',
        'matmul-subgroup',
        'attention-softmax f16',
        'attention-heads f16',
        'matmul-subgroup',
        'attention-heads',
      ],
      ...['attention-backward-delta f16'],
      ...['matmul-subgroup', 'matmul-subgroup', 'attention-ds f16', 'matmul-subgroup', 'matmul-subgroup', 'matmul-subgroup'],
      ...['attention-heads', 'attention-heads', 'attention-heads'],
    ]);
    const merges = () => calls.dispatches.filter((d) => d.pipeline.startsWith('attention-heads') && /SPLIT=false/.test(d.pipeline)).length;
    const merged = merges();
    const g = causalAttentionBackward(gpu, gpu.tensor([32, 128]), q, k, v, out, lse, o, {}, 'qk');
    expect([g.split, g.dq.shape, g.dk.shape, g.dv.shape, merges() - merged]).toEqual(['qk', [2, 64, 32], [2, 32, 32], [32, 64], 1]);
    const all = causalAttentionBackward(gpu, gpu.tensor([32, 128]), q, k, v, out, lse, o, {}, 'qkv');
    expect([all.split, all.dv.shape, merges() - merged]).toEqual(['qkv', [2, 32, 32], 1]);
    // a write to k (a kernel binding it read_write) drops its kept split: the next backward splits it again
    const before = calls.dispatches.length;
    gpu.clear(k);
    causalAttentionBackward(gpu, gpu.tensor([32, 128]), q, k, v, out, lse, o);
    const splits = calls.dispatches.slice(before).filter((d) => d.pipeline.startsWith('attention-heads') && /SPLIT=true/.test(d.pipeline));
    expect(splits.length).toBe(1); // k (dout's is the delta pass's)
    setHalfLinears(gpu, false);
    expect(attentionPath(gpu, smol)).toBe('flash');
  });

  it('takes the 16x16x16 f16 -> f32 configuration at one fixed subgroup size only', () => {
    const cfg = (componentType: string, resultComponentType: string, M: number, N: number, K: number) => ({ componentType, resultComponentType, M, N, K });
    const info = (configs: unknown[], min = 32, max = 32) =>
      ({ subgroupMatrixConfigs: configs, subgroupMinSize: min, subgroupMaxSize: max }) as unknown as GPUAdapterInfo;
    const h200 = [cfg('f16', 'f16', 16, 16, 16), cfg('f16', 'f32', 16, 8, 16), cfg('f16', 'f32', 16, 16, 16), cfg('u8', 'u32', 16, 16, 32)];
    expect(pickSubgroupMatrix(info(h200))).toEqual({ M: 16, N: 16, K: 16, subgroupSize: 32 });
    expect(pickSubgroupMatrix(info(h200, 8, 32))).toBeNull();
    expect(pickSubgroupMatrix(info([cfg('f16', 'f16', 16, 16, 16)]))).toBeNull();
    expect(pickSubgroupMatrix(info([]))).toBeNull();
    expect(pickSubgroupMatrix(undefined)).toBeNull();
  });
});

describe('f16 copies kept between products', () => {
  const half = () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    setHalfLinears(gpu, true, 0);
    const casts = () => calls.dispatches.filter((d) => d.pipeline.startsWith('cast-f16')).length;
    return { gpu, calls, casts };
  };

  it('converts a tensor once per version: reused by later products, again after any write or release', () => {
    const { gpu, casts } = half();
    const x = gpu.tensor([64, 32]);
    const w = gpu.tensor([48, 32]);
    const dy = gpu.tensor([64, 48]);
    linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true }); // x, w
    linearMatmul(gpu, dy, 'q.dout', w, 'q.weight'); // dy
    linearMatmul(gpu, dy, 'q.dout', x, 'q.in', { transA: true }); // nothing new
    expect(casts()).toBe(3);
    clampMin(gpu, w, 0); // a kernel writing w in place
    linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true });
    expect(casts()).toBe(4);
    gpu.copy(dy.view([64 * 48]), x.view([64 * 32]), 0, 0, 8); // a copy into (a view of) x
    linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true });
    expect(casts()).toBe(5);
    gpu.clear(dy);
    gpu.write(w, new Float32Array(4));
    linearMatmul(gpu, dy, 'q.dout', w, 'q.weight');
    expect(casts()).toBe(7);
    // the product's own output: written by the product, so its copy (as an operand) goes
    const out = linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true });
    linearMatmul(gpu, out, 'o.in', w.view([32, 48]), 'o.weight', { transB: true });
    expect(casts()).toBe(8); // out; w through a view of another shape is the same copy
    linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true, out, accumulate: true });
    linearMatmul(gpu, out, 'o.in', w.view([32, 48]), 'o.weight', { transB: true });
    expect(casts()).toBe(9);
    // released: the pool hands the same buffer to the next tensor of its size, which is converted anew
    x.release();
    const x2 = gpu.tensor([64, 32]);
    expect(x2.buffer).toBe(x.buffer);
    linearMatmul(gpu, x2, 'q.in', w, 'q.weight', { transB: true });
    expect(casts()).toBe(10);
  });

  it('the copies die with their sources, and all of them with the policy', () => {
    const { gpu } = half();
    expect(gpu.copies.maxBytes).toBe(HALF_COPIES_MAX_BYTES);
    const live = gpu.pool.liveBytes;
    const x = gpu.tensor([64, 32]);
    const w = gpu.tensor([48, 32]);
    const y = linearMatmul(gpu, x, 'q.in', w, 'q.weight', { transB: true });
    expect(gpu.copies.size).toBe(2);
    for (const t of [x, w, y]) t.release();
    expect(gpu.copies.size).toBe(0);
    expect(gpu.pool.liveBytes).toBe(live);
    const keep = gpu.tensor([64, 32]);
    linearMatmul(gpu, keep, 'q.in', w, 'q.weight', { transB: true }).release();
    expect(gpu.copies.size).toBe(2);
    setHalfLinears(gpu, false);
    expect([gpu.copies.size, gpu.copies.maxBytes]).toEqual([0, 0]);
  });

  it('a class served a copy counted under another falls with it; a copy counted under a fallen class is converted again', async () => {
    const { gpu, calls, casts } = half();
    const n = gpu.tensor([64, 32]);
    const [wq, wk, wv] = [0, 1, 2].map(() => gpu.tensor([48, 32]));
    // slots in order of first use: q.in 0, q.weight 1, k.weight 2, v.weight 3
    linearMatmul(gpu, n, 'q.in', wq, 'q.weight', { transB: true });
    linearMatmul(gpu, n, 'k.in', wk, 'k.weight', { transB: true });
    expect(casts()).toBe(3);
    const counts = new Uint32Array(256);
    counts[0] = 5;
    calls.reads.push(counts.buffer);
    expect(await checkHalfOverflow(gpu)).toEqual([
      'f16 overflow: 5 values of q.in (its f16 copies also served k.in) do not fit f16 (|x| > 65504 or not finite); q.in, k.in stay f32 from now on',
    ]);
    const before = calls.dispatches.length;
    linearMatmul(gpu, n, 'k.in', wk, 'k.weight', { transB: true });
    expect(shaders(calls).slice(before)).toEqual(['matmul.wgsl']);
    // v.in was never served n's copy before the check: converted again, counted under its own slot
    // (3; v.weight 4), and that copy replaces the one counted under q.in
    linearMatmul(gpu, n, 'v.in', wv, 'v.weight', { transB: true });
    expect(casts()).toBe(5);
    linearMatmul(gpu, n, 'v.in', wv, 'v.weight', { transB: true });
    expect(casts()).toBe(5);
    counts.fill(0);
    counts[3] = 1;
    calls.reads.push(counts.buffer);
    expect(await checkHalfOverflow(gpu)).toEqual(['f16 overflow: 1 values of v.in do not fit f16 (|x| > 65504 or not finite); v.in stays f32 from now on']);
  });
});
