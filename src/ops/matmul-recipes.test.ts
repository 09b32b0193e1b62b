// matmul() decides path, tile, K splits and kernel variant once per shape and form and reuses the
// decision (a CPU cost per product otherwise). Checked on a fake device with tensor cores: the
// dispatches and uniforms of a call that reuses a decision equal those of the same call on a fresh
// device (which decides anew), and forced tiles neither read nor leave a decision.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import type { Gpu } from '../gpu/gpu';
import { matmul, SUBGROUP_TILES, MATMUL_TILES } from './matmul';

const LIMITS = { maxComputeWorkgroupStorageSize: 48 * 1024, maxComputeInvocationsPerWorkgroup: 1024 };

/** Every product form the engine uses, f32 and f16, split and unsplit, and one shape in each form
 * (bias, alpha, accumulate, batched): a decision kept under too coarse a key would serve another. */
const PRODUCTS: ((gpu: Gpu) => void)[] = (['f32', 'f16'] as const).flatMap((dtype) => {
  const t = (gpu: Gpu, shape: number[], dt: 'f32' | 'f16' = dtype) => gpu.tensor(shape, dt);
  return [
    (g: Gpu) => void matmul(g, t(g, [512, 576]), t(g, [1536, 576]), { transB: true }),
    (g: Gpu) => void matmul(g, t(g, [512, 576]), t(g, [1536, 576]), { transB: true, bias: t(g, [1536], 'f32') }),
    (g: Gpu) => void matmul(g, t(g, [512, 576]), t(g, [1536, 576]), { transB: true, alpha: 0.5 }),
    (g: Gpu) => void matmul(g, t(g, [512, 576]), t(g, [1536, 576]), { transB: true, out: t(g, [512, 1536], 'f32'), accumulate: true }),
    (g: Gpu) => void matmul(g, t(g, [1, 512, 576]), t(g, [1536, 576]), { transB: true }),
    (g: Gpu) => void matmul(g, t(g, [512, 1536]), t(g, [1536, 576])),
    (g: Gpu) => void matmul(g, t(g, [512, 1536]), t(g, [512, 576]), { transA: true }),
    (g: Gpu) => void matmul(g, t(g, [64, 576]), t(g, [192, 576]), { transB: true, bias: t(g, [192], 'f32') }),
    (g: Gpu) => void matmul(g, t(g, [100, 64]), t(g, [64, 64]), { alpha: 0.5 }),
    (g: Gpu) => void matmul(g, t(g, [3, 512, 64]), t(g, [3, 512, 64]), { transB: true }),
    // a long K over few outputs: split on both paths
    (g: Gpu) => void matmul(g, t(g, [64, 8192]), t(g, [192, 8192]), { transB: true }),
  ];
});

type Recorded = { dispatches: string[]; uniforms: number[][] };

/** What the device was asked to do: pipelines with their grids, and the uniform bytes. */
function record(run: (gpu: Gpu) => void, gpu: Gpu, calls: ReturnType<typeof fakeGpu>['calls']): Recorded {
  calls.dispatches.length = 0;
  calls.writes.length = 0;
  run(gpu);
  gpu.flush();
  return {
    dispatches: calls.dispatches.map((d) => `${d.pipeline} ${d.workgroups.join('x')}`),
    uniforms: calls.writes.filter((w) => w.label.includes('uniform')).map((w) => Array.from(new Uint32Array(w.data))),
  };
}

describe('matmul decisions per shape and form', () => {
  it('a reused decision dispatches what a fresh device decides', () => {
    // each product on its own device: nothing to reuse
    const fresh = PRODUCTS.map((p) => {
      const { gpu, calls } = fakeGpu(LIMITS, true);
      return record(p, gpu, calls);
    });
    const { gpu, calls } = fakeGpu(LIMITS, true);
    for (let round = 0; round < 2; round++) PRODUCTS.forEach((p, i) => expect(record(p, gpu, calls), `product ${i}, round ${round}`).toEqual(fresh[i]));
    const all = fresh.flatMap((r) => r.dispatches);
    expect(all.some((d) => d.startsWith('matmul-subgroup.wgsl'))).toBe(true);
    expect(all.some((d) => d.startsWith('matmul.wgsl'))).toBe(true);
    expect(all.some((d) => d.startsWith('matmul-splitk.wgsl'))).toBe(true);
  });

  it('forced tiles are decided every time and leave the default decision alone', () => {
    const { gpu, calls } = fakeGpu(LIMITS, true);
    const x = gpu.tensor([512, 576], 'f16');
    const w = gpu.tensor([1536, 576], 'f16');
    const plain = () => record((g) => void matmul(g, x, w, { transB: true }), gpu, calls).dispatches;
    const before = plain();
    const forced = record((g) => void matmul(g, x, w, { transB: true, subgroupTile: SUBGROUP_TILES.tall8 }), gpu, calls).dispatches;
    expect(forced).not.toEqual(before);
    expect(plain()).toEqual(before);
    const f32x = gpu.tensor([512, 576]);
    const f32w = gpu.tensor([1536, 576]);
    const f32plain = () => record((g) => void matmul(g, f32x, f32w, { transB: true }), gpu, calls).dispatches;
    const f32before = f32plain();
    record((g) => void matmul(g, f32x, f32w, { transB: true, tile: MATMUL_TILES.large, splitK: 1 }), gpu, calls);
    expect(f32plain()).toEqual(f32before);
  });
});
