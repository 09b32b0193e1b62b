// The precision policy's choices, on a fake device (what runs, not the numbers: those are
// test:device's on a real GPU and the browser GPU tests' for f32).
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { pickSubgroupMatrix } from '../gpu/device';
import { kernelPaths, linearMatmul, linearPath, setHalfLinears } from './precision';

const shaders = (calls: ReturnType<typeof fakeGpu>['calls']) => calls.dispatches.map((d) => d.pipeline.split('|')[0]);

describe('precision policy', () => {
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
    setHalfLinears(gpu, true); // default threshold: 2^28 FLOP
    expect(kernelPaths(gpu)['Linear matmuls']).toMatch(/2\^28 FLOP/);
    linearMatmul(gpu, gpu.tensor([64, 32]), 'x', gpu.tensor([48, 32]), 'w', { transB: true });
    // 2 * 2048 * 2048 * 64 = 2^29 FLOP: converted
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
