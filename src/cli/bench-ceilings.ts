// The ceilings the bench compares kernel families with, measured on this device in the same run
// (GPU time from timestamps, the medians of kernel-timing's batches): the engine's own matmul at
// n³ on every path the device offers (f32; f16 storage and tensor cores on f16 operands), and the
// streaming bandwidth of the element-wise add on buffers larger than any cache.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { castToF16 } from '../ops/cast';
import { add } from '../ops/elementwise';
import { matmul, type MatmulPath, type SubgroupTile } from '../ops/matmul';
import type { Ceilings } from './kernel-families';
import { lcgFill, measure } from './kernel-timing';

/** The matmul paths this device offers. */
function offeredPaths(gpu: Gpu): MatmulPath[] {
  return ['f32', ...(gpu.hasF16 ? (['f16'] as const) : []), ...(gpu.subgroupMatrix ? (['subgroup-matrix'] as const) : [])];
}

/**
 * TFLOP/s of x·W at n³ on one path (operands converted to f16 on the GPU for the f16 paths);
 * `opts`: a forced tensor-core tile, a warm-up before calibrating (kernel-timing's measure).
 */
export async function matmulRate(gpu: Gpu, n: number, path: MatmulPath, opts: { subgroupTile?: SubgroupTile; warmupMs?: number } = {}): Promise<number> {
  const owned: Tensor[] = [];
  const keep = (t: Tensor) => (owned.push(t), t);
  try {
    let a = keep(gpu.upload(lcgFill(n * n, 1), [n, n], 'A'));
    let b = keep(gpu.upload(lcgFill(n * n, 2), [n, n], 'B'));
    if (path !== 'f32') {
      const overflow = keep(gpu.zeros([1], 'overflow', 'u32'));
      a = keep(castToF16(gpu, a, overflow));
      b = keep(castToF16(gpu, b, overflow));
    }
    const out = keep(gpu.tensor([n, n], 'f32', 'C'));
    const t = await measure(gpu, () => void matmul(gpu, a, b, { out, path, subgroupTile: opts.subgroupTile }), opts.warmupMs);
    return (2 * n ** 3) / ((t.gpuMs ?? t.wallMs) * 1e-3) / 1e12;
  } finally {
    for (const x of owned) x.release();
  }
}

/** GB/s of out = a + b on `floats` f32 per buffer: 3 x 4 bytes per element moved. */
async function streamRate(gpu: Gpu, floats: number): Promise<number> {
  const a = gpu.upload(lcgFill(floats, 3), [floats], 'A');
  const b = gpu.upload(lcgFill(floats, 4), [floats], 'B');
  const out = gpu.tensor([floats], 'f32', 'C');
  try {
    const t = await measure(gpu, () => void add(gpu, a, b, out));
    return (3 * 4 * floats) / ((t.gpuMs ?? t.wallMs) * 1e-3) / 1e9;
  } finally {
    for (const x of [a, b, out]) x.release();
  }
}

/**
 * Matmul rates at n³ on every offered path, and the streaming bandwidth on 4·n² floats per buffer
 * (256 MiB each at n = 4096, far over any cache; capped at the device's binding limit).
 */
export async function measureCeilings(gpu: Gpu, n: number): Promise<Ceilings> {
  const matmulTflops: Ceilings['matmulTflops'] = {};
  for (const p of offeredPaths(gpu)) matmulTflops[p] = await matmulRate(gpu, n, p);
  const floats = Math.min(4 * n * n, Math.floor(gpu.device.limits.maxStorageBufferBindingSize / 4 / 256) * 256);
  const bandwidthGBs = await streamRate(gpu, floats);
  const mib = (floats * 4) / 2 ** 20;
  return { matmulSize: n, matmulTflops, bandwidthGBs, bandwidthProbe: `add, 3 x ${mib >= 1 ? mib.toFixed(0) : mib.toFixed(2)} MiB f32` };
}
