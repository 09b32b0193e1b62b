import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KernelTotal } from '../gpu/timing';
import { familyOf, kernelFamilies, SHADER_FAMILIES, type Ceilings } from './kernel-families';

const total = (shader: string, ns: number, count: number, bytes: number): KernelTotal => ({ shader, ns, count, bytes });

describe('kernel families', () => {
  it('has a family for every compute shader of the engine', () => {
    const dir = new URL('../../shaders/', import.meta.url);
    const kernels = readdirSync(dir)
      .filter((f) => f.endsWith('.wgsl') && readFileSync(new URL(f, dir), 'utf8').includes('@compute'))
      .map((f) => f.slice(0, -5));
    expect(kernels.length).toBeGreaterThan(50);
    const missing = kernels.filter((k) => familyOf(k, k) === 'other');
    expect(missing).toEqual([]);
    // and the table names no shader that does not exist
    expect(Object.keys(SHADER_FAMILIES).filter((k) => !kernels.includes(k))).toEqual([]);
  });

  it('splits matmuls by role and path, and sends unknown shaders to other', () => {
    expect(familyOf('matmul', 'linear 64x32x16 tB')).toBe('Linear matmul f32');
    expect(familyOf('matmul', 'linear 64x32x16 tB f16')).toBe('Linear matmul f16 storage');
    expect(familyOf('matmul-subgroup', 'linear 64x32x16 tB subgroup-matrix')).toBe('Linear matmul tensor cores');
    expect(familyOf('matmul', 'matmul 64x32x100')).toBe('other matmul f32');
    expect(familyOf('matmul-splitk', 'linear 64x32x16 splitk-sum')).toBe('matmul split-K sums');
    expect(familyOf('attention-forward-vec4', 'attention.forward b1 h1 s2 d4')).toBe('attention forward');
    expect(familyOf('rope', 'rope.inverse')).toBe('elementwise, activations, RoPE');
    expect(familyOf('brand-new', 'brand-new')).toBe('other');
  });

  it('sums time, FLOPs and bytes per family and compares each with its ceiling', () => {
    const totals = new Map<string, KernelTotal>([
      // 2 calls of 2·64·32·16 = 65,536 FLOPs in 1000 ns: 0.131072 TFLOP/s; 20,000 bytes: 20 GB/s
      ['linear 64x32x16 tB', total('matmul', 1000, 2, 20_000)],
      // one call, 65,536 FLOPs in 100 ns: 0.65536 TFLOP/s
      ['linear 64x32x16 tB subgroup-matrix', total('matmul-subgroup', 100, 1, 1000)],
      // attention backward: delta (no FLOPs) 100 ns + dq 300 ns; dq s=2 d=4: 3 pairs x 3 x 8 = 72 FLOPs
      ['attention.delta', total('attention-backward-delta', 100, 1, 400)],
      ['attention.dq b1 h1 s2 d4', total('attention-backward-dq', 300, 1, 600)],
      // norms: 5000 bytes in 50 ns = 100 GB/s, the whole bandwidth
      ['rmsnorm', total('norm-forward', 30, 1, 3000)],
      ['rmsnorm.dweight', total('norm-backward-params', 20, 1, 2000)],
      ['mystery', total('brand-new', 400, 4, 800)],
    ]);
    const ceilings: Ceilings = { matmulSize: 8, matmulTflops: { f32: 2, 'subgroup-matrix': 10 }, bandwidthGBs: 100, bandwidthProbe: 'add' };
    const rows = kernelFamilies(totals, ceilings);
    const sum = 1000 + 100 + 100 + 300 + 30 + 20 + 400;
    expect(rows.map((r) => r.family)).toEqual(['Linear matmul f32', 'attention backward', 'other', 'Linear matmul tensor cores', 'norms']);
    const by = Object.fromEntries(rows.map((r) => [r.family, r]));

    const lin = by['Linear matmul f32'];
    expect(lin.gpuMs).toBeCloseTo(1e-3, 15);
    expect(lin.share).toBeCloseTo(1000 / sum, 15);
    expect(lin.timed).toBe(2);
    expect(lin.tflops).toBeCloseTo(0.131072, 12);
    expect(lin.gbps).toBeCloseTo(20, 12);
    expect(lin.bound).toBe('compute');
    expect(lin.ceiling).toBe(2);
    expect(lin.ceilingOf).toBe('f32 matmul 8³');
    expect(lin.ofCeiling).toBeCloseTo(0.065536, 12);

    const tc = by['Linear matmul tensor cores'];
    expect(tc.tflops).toBeCloseTo(0.65536, 12);
    expect(tc.ceiling).toBe(10);
    expect(tc.ofCeiling).toBeCloseTo(0.065536, 12);

    const bwd = by['attention backward'];
    expect(bwd.tflops).toBeCloseTo(72 / 400 / 1e3, 15);
    expect(bwd.gbps).toBeCloseTo(1000 / 400, 12);
    expect(bwd.ofCeiling).toBeCloseTo(72 / 400 / 1e3 / 2, 15);
    expect(bwd.kernels).toEqual(['attention.dq b1 h1 s2 d4', 'attention.delta']);

    const norms = by.norms;
    expect(norms.bound).toBe('memory');
    expect(norms.tflops).toBeUndefined();
    expect(norms.gbps).toBeCloseTo(100, 12);
    expect(norms.ofCeiling).toBeCloseTo(1, 12);
    expect(norms.ceilingOf).toBe('streaming add');

    expect(by.other.kernels).toEqual(['mystery']);
    expect(by.other.gbps).toBeCloseTo(2, 12);
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 12);
  });

  it('leaves the ceiling out where the run did not measure it', () => {
    const totals = new Map([['linear 64x32x16 tB f16', total('matmul', 100, 1, 100)]]);
    const [row] = kernelFamilies(totals, { matmulSize: 8, matmulTflops: { f32: 2 } });
    expect(row.family).toBe('Linear matmul f16 storage');
    expect(row.ceiling).toBeUndefined();
    expect(row.ofCeiling).toBeUndefined();
    const [bare] = kernelFamilies(new Map([['rmsnorm', total('norm-forward', 10, 1, 10)]]));
    expect(bare.ceiling).toBeUndefined();
    expect(bare.gbps).toBeCloseTo(1, 12);
  });
});
