import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../methods/registry';
import { PRESETS, isSoftwareAdapter } from './presets';
import { expectedSeconds } from './run-state';

const quick = PRESETS.find((p) => p.id === 'quick')!;
const paper = PRESETS.find((p) => p.id === 'paper')!;

describe('presets', () => {
  it('sizes the quick demo down on a software adapter', () => {
    const gpu = { ...DEFAULT_CONFIG, method: 'tesseraq' as const, ...quick.settings({ method: 'tesseraq' }) };
    const cpu = { ...DEFAULT_CONFIG, method: 'tesseraq' as const, ...quick.settings({ method: 'tesseraq', software: true }) };
    // At one and the same speed, the software-sized run has far less work (here: about a sixth).
    const onGpu = expectedSeconds(gpu, 5, 1000)!;
    const onCpu = expectedSeconds(cpu, 5, 1000)!;
    expect(onCpu).toBeLessThan(onGpu / 4);
    expect(quick.summary({ method: 'teq', software: true })).toContain('software adapter');
    expect(quick.summary({ method: 'teq' })).not.toContain('even on a software GPU');
  });

  it('states the published recipe in its own words, citing no file a person cannot open', () => {
    const text = paper.summary({ method: 'tesseraq' });
    expect(text).not.toMatch(/docs\/|\.md\b/);
    expect(text).toContain('20 hardening rounds × 250 iterations');
    expect(text).toContain('1000 Adam steps at lr 1e-3');
    expect(paper.settings({ method: 'tesseraq' })).toMatchObject({ tqIters: 250, tqSchedule: 'paper20', calibSamples: 512, seqLen: 2048 });
  });

  it('recognises software adapters by their flag or their name', () => {
    const base = { isFallbackAdapter: false, vendor: '', architecture: '', device: '', description: '' };
    expect(isSoftwareAdapter({ ...base, vendor: 'google', architecture: 'swiftshader' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, description: 'llvmpipe (LLVM 15.0.7, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ ...base, vendor: 'nvidia', architecture: 'hopper' })).toBe(false);
  });
});

describe('expected time before a run', () => {
  it('plans the method and two evaluations at the measured rate', () => {
    // RTN on 5 blocks: 2 evaluations of 8 x 256 tokens (20,480 passes each), errors 3 x 16 x 256 x 5, RTN 0.1 x 16 x 256 x 5.
    const cfg = { ...DEFAULT_CONFIG, method: 'rtn' as const };
    expect(expectedSeconds(cfg, 5, 1024)).toBeCloseTo((2 * 8 * 256 * 5 + 3 * 4096 * 5 + 0.1 * 4096 * 5) / 1024, 9);
    // Every window (0): the count comes from the text; without it there is no estimate.
    expect(expectedSeconds({ ...cfg, evalWindows: 0 }, 5, 1024)).toBeNull();
    expect(expectedSeconds({ ...cfg, evalWindows: 0 }, 5, 1024, 8)).toBeCloseTo(expectedSeconds(cfg, 5, 1024)!, 9);
  });
});
