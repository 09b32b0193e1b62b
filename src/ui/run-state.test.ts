import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../methods/registry';
import { applyEvents, estimateRemaining, finishRun, startRun } from './run-state';

const teq = { ...DEFAULT_CONFIG, method: 'teq' as const };

describe('run state from events', () => {
  it('opens and closes phases and records progress on the right one', () => {
    let r = startRun(teq, 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'tokenize' }], 1000);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }, { type: 'progress', phase: 'eval-fp', done: 2, total: 8 }], 3000);
    expect(r.phases).toEqual([
      { name: 'tokenize', startedAt: 1000, endedAt: 3000, detail: undefined },
      { name: 'eval-fp', startedAt: 3000, done: 2, total: 8, detail: undefined },
    ]);
    const done = finishRun(r, 'done', 9000);
    expect(done.phases[1]).toEqual({ name: 'eval-fp', startedAt: 3000, endedAt: 9000, done: 2, total: 8, detail: undefined });
    expect(done.status).toBe('done');
    const cancelled = finishRun(r, 'cancelled', 9000);
    expect(cancelled.phases[0].stopped).toBeUndefined();
    expect(cancelled.phases[1].stopped).toBe(true);
  });

  it('appends loss points per series without touching the previous state', () => {
    const r0 = startRun(teq, 0);
    const r1 = applyEvents(r0, [
      { type: 'loss', series: 'TEQ block 0', step: 0, value: 2 },
      { type: 'loss', series: 'TEQ block 0', step: 1, value: 1.5 },
      { type: 'loss', series: 'TEQ block 1', step: 0, value: 3 },
    ], 10);
    const r2 = applyEvents(r1, [{ type: 'loss', series: 'TEQ block 0', step: 2, value: 1.25 }], 20);
    expect(r1.losses['TEQ block 0']).toEqual({ steps: [0, 1], values: [2, 1.5] });
    expect(r2.losses['TEQ block 0']).toEqual({ steps: [0, 1, 2], values: [2, 1.5, 1.25] });
    expect(r2.losses['TEQ block 1']).toBe(r1.losses['TEQ block 1']);
    expect(r0.losses).toEqual({});
  });

  it('keeps the latest scale vector per block and group, and every layer error', () => {
    const r = applyEvents(startRun(teq, 0), [
      { type: 'scales', block: 0, group: 'qkv', values: [1, 2] },
      { type: 'scales', block: 0, group: 'qkv', values: [3, 4] },
      { type: 'scales', block: 1, group: 'qkv', values: [5] },
      { type: 'layer-error', block: 0, layer: 'q_proj', relMse: 0.01 },
      { type: 'log', message: 'hello' },
    ], 0);
    expect(Object.values(r.scales)).toEqual([
      { block: 0, group: 'qkv', values: [3, 4] },
      { block: 1, group: 'qkv', values: [5] },
    ]);
    expect(r.layerErrors).toEqual([{ block: 0, layer: 'q_proj', relMse: 0.01 }]);
    expect(r.log).toEqual(['hello']);
  });
});

describe('remaining time', () => {
  it('extrapolates the open phase and adds a quantized evaluation as long as the fp32 one', () => {
    let r = startRun(teq, 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }], 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'teq' }], 4000); // fp32 evaluation took 4 s
    r = applyEvents(r, [{ type: 'progress', phase: 'teq', done: 1, total: 5 }], 6000);
    // teq: 2 s for 1 of 5 blocks -> 8 s left; then about 4 s of quantized evaluation.
    expect(estimateRemaining(r, 6000)).toBeCloseTo(12, 10);
  });

  it('has no estimate before any progress, and none left once the run ended', () => {
    let r = applyEvents(startRun(teq, 0), [{ type: 'phase', phase: 'tokenize' }], 0);
    expect(estimateRemaining(r, 100)).toBeNull();
    r = finishRun(r, 'cancelled', 200);
    expect(estimateRemaining(r, 300)).toBe(0);
  });

  it('does not add the quantized evaluation once it is running', () => {
    let r = startRun(teq, 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }], 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-quant' }, { type: 'progress', phase: 'eval-quant', done: 3, total: 4 }], 4000);
    expect(estimateRemaining(r, 7000)).toBeCloseTo(1, 10);
  });
});
