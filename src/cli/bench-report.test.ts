import { describe, expect, it } from 'vitest';
import { benchMarkdown, hotKernels, phaseLine, type BenchReport } from './bench-report';
import { matmulFlops } from './kernel-flops';
import { DEFAULT_CONFIG } from '../methods/registry';

describe('bench report', () => {
  it('reads a matmul label as 2·batch·M·K·N FLOPs and nothing else', () => {
    expect(matmulFlops('matmul 512x64x172')).toBe(2 * 512 * 64 * 172);
    expect(matmulFlops('matmul 4x512x64x172 tB')).toBe(2 * 4 * 512 * 64 * 172);
    expect(matmulFlops('matmul 2048x576x1536 tA tB')).toBe(2 * 2048 * 576 * 1536);
    expect(matmulFlops('matmul 512x64x172 splitk-sum')).toBeUndefined();
    expect(matmulFlops('attention-forward')).toBeUndefined();
  });

  it('ranks kernels by GPU time with per-call time, share and TFLOP/s', () => {
    const totals = new Map([
      ['rmsnorm', { ns: 500, count: 5 }],
      ['matmul 4x512x64x172 tB', { ns: 1000, count: 2 }],
      ['adam', { ns: 250, count: 1 }],
    ]);
    const rows = hotKernels(totals, 2);
    expect(rows.map((r) => r.kernel)).toEqual(['matmul 4x512x64x172 tB', 'rmsnorm']);
    // 2 calls of 45,088,768 FLOPs in 1000 ns = 90.18 TFLOP/s, 0.5 µs per call
    expect(rows[0].tflops).toBeCloseTo((2 * 45_088_768) / 1000 / 1e3, 9);
    expect(rows[0].usPerCall).toBeCloseTo(0.5, 12);
    expect(rows[0].share).toBeCloseTo(1000 / 1750, 12);
    expect(rows[1].usPerCall).toBeCloseTo(0.1, 12);
    expect(rows[1].tflops).toBeUndefined();
  });

  it('writes one table row per method and a kernel table with the share of the peak', () => {
    const { method: _m, ...config } = DEFAULT_CONFIG;
    const rep: BenchReport = {
      date: '2026-11-23T00:00:00Z',
      device: 'nvidia hopper',
      model: 'bundled:stories260K',
      config,
      calibForwardSeconds: 0.5,
      calibTokensPerSecond: 8192,
      matmulPeakTflops: 40,
      rows: [
        { method: 'rtn', seconds: 0.1, evalTokensPerSecond: 1e6, peakMiB: 10, plannedMiB: 12, pplFp: 5, pplQuant: 6 },
        {
          method: 'tesseraq',
          seconds: 8,
          tqSecondsPerBlock: 1.5,
          tqSecondsPerRound: 0.075,
          tqSecondsPer250Round: 0.375,
          evalTokensPerSecond: 1e6,
          peakMiB: 20,
          plannedMiB: 25,
          pplFp: 5,
          pplQuant: 5.5,
          kernels: [{ kernel: 'matmul 4x512x64x172 tB', timed: 2, usPerCall: 0.5, share: 0.5, tflops: 10 }],
        },
        { method: 'gptq', seconds: 3, gptqSecondsPerBlock: 0.75, evalTokensPerSecond: 1e6, peakMiB: 15, plannedMiB: 16, pplFp: 5, pplQuant: 5.6 },
      ],
    };
    const md = benchMarkdown(rep);
    expect(md).toContain('| rtn | 0.10 |');
    expect(md).toContain('| tesseraq | 8.00 |  |  | 1.50 | 0.075 | 0.38 |  | 1000000 | 20 (25) |');
    expect(md).toContain('| gptq | 3.00 |  |  |  |  |  | 0.75 | 1000000 | 15 (16) |');
    expect(md).toContain('| matmul 4x512x64x172 tB | 0.5 | 50.0% | 10.0 | 25% |');
    expect(md).toContain('f32 matmul 4096³: 40.0 TFLOP/s');
  });

  it('writes a family table per method with its ceiling, lists the other kernels, and says why tables are missing', () => {
    const { method: _m, ...config } = DEFAULT_CONFIG;
    const base: BenchReport = {
      date: '2026-12-03T00:00:00Z',
      device: 'nvidia hopper',
      model: 'random:smollm2-135m',
      config,
      calibForwardSeconds: 0.5,
      calibTokensPerSecond: 8192,
      rows: [],
    };
    const teq = { method: 'teq' as const, seconds: 8, evalTokensPerSecond: 1e6, peakMiB: 20, plannedMiB: 25, pplFp: 5, pplQuant: 5.5 };
    expect(benchMarkdown({ ...base, kernelNote: 'No kernel tables: skipped (--kernels 0).', rows: [teq] })).toContain(
      'No kernel tables: skipped (--kernels 0).',
    );
    const md = benchMarkdown({
      ...base,
      matmulPeakTflops: 40,
      ceilings: { matmulSize: 4096, matmulTflops: { f32: 40, 'subgroup-matrix': 80 }, bandwidthGBs: 4000, bandwidthProbe: 'add, 3 x 256 MiB f32' },
      rows: [
        {
          ...teq,
          kernels: [{ kernel: 'linear 2048x576x1536 tB subgroup-matrix', timed: 1, usPerCall: 100, share: 0.5, tflops: 20 }],
          families: [
            {
              family: 'Linear matmul tensor cores',
              gpuMs: 12.5,
              timed: 100,
              share: 0.625,
              tflops: 20,
              gbps: 300,
              bound: 'compute',
              ceiling: 80,
              ceilingOf: 'tensor cores matmul 4096³',
              ofCeiling: 0.25,
              kernels: ['linear 2048x576x1536 tB subgroup-matrix'],
            },
            {
              family: 'norms',
              gpuMs: 5,
              timed: 60,
              share: 0.25,
              gbps: 2000,
              bound: 'memory',
              ceiling: 4000,
              ceilingOf: 'streaming add, 3 x 256 MiB f32',
              ofCeiling: 0.5,
              kernels: ['rmsnorm'],
            },
            {
              family: 'other',
              gpuMs: 2.5,
              timed: 4,
              share: 0.125,
              gbps: 10,
              bound: 'memory',
              ceiling: 4000,
              ceilingOf: 'streaming add, 3 x 256 MiB f32',
              ofCeiling: 0.0025,
              kernels: ['mystery', 'riddle'],
            },
          ],
        },
      ],
    });
    // the hot kernel on the tensor cores is compared with the tensor-core rate, not the f32 one
    expect(md).toContain('| linear 2048x576x1536 tB subgroup-matrix | 100.0 | 50.0% | 20.0 | 25% |');
    expect(md).toContain(
      'Ceilings measured in this run: f32 matmul 4096³ 40.0 TFLOP/s, tensor cores matmul 4096³ 80.0 TFLOP/s; streaming bandwidth 4000 GB/s (add, 3 x 256 MiB f32).',
    );
    expect(md).toContain('Kernel families, teq (164 dispatches timed, 20.0 GPU ms):');
    expect(md).toContain('| Linear matmul tensor cores | 12.5 | 62.5% | 100 | 20.0 | 300 | 80.0 TFLOP/s (tensor cores matmul 4096³) | 25% |');
    expect(md).toContain('| norms | 5.00 | 25.0% | 60 |  | 2000 | 4000 GB/s (streaming add, 3 x 256 MiB f32) | 50% |');
    expect(md).toContain('| other | 2.50 | 12.5% | 4 |  | 10.0 | 4000 GB/s (streaming add, 3 x 256 MiB f32) | 0.3% |');
    expect(md).toContain('other (kernels of no known family): mystery, riddle');
    expect(md).toContain('GB/s (est.)');
  });

  it('writes every phase with the parts recorded inside it, and the spread of the TesseraQ rounds', () => {
    const line = phaseLine({
      method: 'tesseraq',
      phaseSeconds: { load: 3.1, 'eval-fp': 2, tesseraq: 10, 'tesseraq-init': 4, 'tesseraq-rounds': 5, 'eval-quant': 1.5 },
      tqBlocks: [
        { block: 0, seconds: {}, rounds: [0.03, 0.01] },
        { block: 1, seconds: {}, rounds: [0.012] },
      ],
    });
    expect(line).toBe(
      'Seconds per phase, tesseraq: load 3.10 s, eval-fp 2.00 s, tesseraq 10.00 s (init 4.00, rounds 5.00), eval-quant 1.50 s; 3 rounds 0.010-0.030 s (median 0.012).',
    );
    // "teq+tesseraq" has no parts of its own name: the tesseraq-* parts stand alone
    expect(phaseLine({ method: 'teq+tesseraq', phaseSeconds: { 'teq+tesseraq': 9, 'tesseraq-init': 2 } })).toBe(
      'Seconds per phase, teq+tesseraq: teq+tesseraq 9.00 s, tesseraq-init 2.00 s.',
    );
  });
});
