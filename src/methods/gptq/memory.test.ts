// GPTQ's memory on a 1B model's block shape: the 8192-wide down projection's Hessian dominates (four
// [8192, 8192] f32 matrices: H, the Cholesky workspace, its triangular inverse, the factor U), and
// a device whose largest binding cannot hold one of them is told so before the run starts.
import { describe, expect, it } from 'vitest';
import { planMemory } from '../../engine/memory-plan';
import { randomModel } from '../../formats/random-model';
import { DEFAULT_CONFIG } from '../registry';
import type { Method, RunConfig } from '../../core/run-types';

// a small vocabulary, so the embedding table is not the largest tensor
const cfg = { ...randomModel('llama3.2-1b').weights.config, vocab: 1024 };
const config = (method: Method, patch: Partial<RunConfig> = {}): RunConfig => ({
  ...DEFAULT_CONFIG,
  method,
  calibSamples: 1,
  seqLen: 128,
  evalWindows: 1,
  ...patch,
});
const H = 8192 * 8192 * 4;

describe('GPTQ memory plan', () => {
  it('counts four [8192, 8192] matrices for a 1B model, and AWQ / TEQ first never less', () => {
    expect(cfg.intermediate).toBe(8192);
    const gptq = planMemory(cfg, config('gptq'));
    expect(gptq.phases.gptq).toBeGreaterThanOrEqual(gptq.globalsBytes + 4 * H + 3 * gptq.blockBytes);
    expect(gptq.largestTensor).toMatchObject({
      name: "GPTQ's factorisation of the widest input's Hessian",
      bytes: H,
      advice: expect.stringMatching(/set by the model/),
    });
    expect(planMemory(cfg, config('awq+gptq')).phases['awq+gptq']).toBeGreaterThanOrEqual(gptq.phases.gptq);
    const teq = planMemory(cfg, config('teq+gptq', { teqLoss: 'block' }));
    expect(teq.phases['teq+gptq']).toBeGreaterThanOrEqual(gptq.phases.gptq);
    expect(teq.phases['teq+gptq']).toBeGreaterThanOrEqual(planMemory(cfg, config('teq', { teqLoss: 'block' })).phases.teq);
  });

  it('refuses before the run where one Hessian does not fit a binding', () => {
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 30 };
    const plan = planMemory(cfg, config('gptq'), limits);
    expect(plan.problems.join(' ')).toMatch(/GPTQ's factorisation of the widest input's Hessian needs 256/);
    expect(planMemory(cfg, config('rtn'), limits).problems).toEqual([]);
  });
});
