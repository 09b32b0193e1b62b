import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../methods/registry';
import { applyEvents, estimateRemaining, finishRun, measuredRate, startRun } from './run-state';

const teq = { ...DEFAULT_CONFIG, method: 'teq' as const };

describe('run state from events', () => {
  it('opens and closes phases and records progress on the right one', () => {
    let r = startRun(teq, 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'tokenize' }], 1000);
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'eval-fp' },
        { type: 'progress', phase: 'eval-fp', done: 2, total: 8 },
      ],
      3000,
    );
    expect(r.phases).toEqual([
      { name: 'tokenize', startedAt: 1000, endedAt: 3000, detail: undefined },
      { name: 'eval-fp', startedAt: 3000, done: 2, total: 8, detail: undefined, firstAt: 3000, firstDone: 2 },
    ]);
    const done = finishRun(r, 'done', 9000);
    expect(done.phases[1]).toEqual({ name: 'eval-fp', startedAt: 3000, endedAt: 9000, done: 2, total: 8, detail: undefined, firstAt: 3000, firstDone: 2 });
    expect(done.status).toBe('done');
    const cancelled = finishRun(r, 'cancelled', 9000);
    expect(cancelled.phases[0].stopped).toBeUndefined();
    expect(cancelled.phases[1].stopped).toBe(true);
  });

  it('appends loss points per series without touching the previous state', () => {
    const r0 = startRun(teq, 0);
    const r1 = applyEvents(
      r0,
      [
        { type: 'loss', series: 'TEQ block 0', step: 0, value: 2 },
        { type: 'loss', series: 'TEQ block 0', step: 1, value: 1.5 },
        { type: 'loss', series: 'TEQ block 1', step: 0, value: 3 },
      ],
      10,
    );
    const r2 = applyEvents(r1, [{ type: 'loss', series: 'TEQ block 0', step: 2, value: 1.25 }], 20);
    expect(r1.losses['TEQ block 0']).toEqual({ steps: [0, 1], values: [2, 1.5] });
    expect(r2.losses['TEQ block 0']).toEqual({ steps: [0, 1, 2], values: [2, 1.5, 1.25] });
    expect(r2.losses['TEQ block 1']).toBe(r1.losses['TEQ block 1']);
    expect(r0.losses).toEqual({});
  });

  it('keeps the latest scale vector per block and group, and every layer error', () => {
    const r = applyEvents(
      startRun(teq, 0),
      [
        { type: 'scales', block: 0, group: 'qkv', values: [1, 2] },
        { type: 'scales', block: 0, group: 'qkv', values: [3, 4] },
        { type: 'scales', block: 1, group: 'qkv', values: [5] },
        { type: 'layer-error', block: 0, layer: 'q_proj', relMse: 0.01 },
        { type: 'log', message: 'hello' },
      ],
      0,
    );
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
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'measure' },
        { type: 'progress', phase: 'measure', done: 1, total: 5 },
      ],
      20000,
    );
    // measure: 1 s for 1 of 5 blocks -> 4 s left; then about 4 s of quantized evaluation.
    expect(estimateRemaining(r, 21000)).toEqual({ seconds: 8, fromPlan: false });
  });

  it('has no estimate before any progress, and none left once the run ended', () => {
    let r = applyEvents(startRun(teq, 0, 5), [{ type: 'phase', phase: 'tokenize' }], 0);
    expect(estimateRemaining(r, 100)).toBeNull();
    r = finishRun(r, 'cancelled', 200);
    expect(estimateRemaining(r, 300)).toEqual({ seconds: 0, fromPlan: false });
  });

  it('does not add the quantized evaluation once it is running', () => {
    let r = startRun(teq, 0);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }], 0);
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'teq' },
        { type: 'progress', phase: 'teq', done: 5, total: 5 },
      ],
      4000,
    );
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'measure' },
        { type: 'progress', phase: 'measure', done: 5, total: 5 },
      ],
      5000,
    );
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'eval-quant' },
        { type: 'progress', phase: 'eval-quant', done: 3, total: 4 },
      ],
      6000,
    );
    expect(estimateRemaining(r, 9000)).toEqual({ seconds: 1, fromPlan: false });
  });

  it("measures a phase's rate from its first finished unit, so a slow start is not extrapolated", () => {
    let r = startRun(teq, 0, 5);
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'eval-fp' },
        { type: 'progress', phase: 'eval-fp', done: 8, total: 8 },
      ],
      0,
    );
    r = applyEvents(r, [{ type: 'phase', phase: 'teq' }], 4000); // 8 x 256 tokens x 5 blocks in 4 s
    const ahead = (3 * 16 * 256 * 5) / 2560 + 4; // the errors' step planned at 2560 passes/s, then 4 s of evaluation
    // An initialisation takes 60 s, then a step every 0.5 s.
    r = applyEvents(r, [{ type: 'progress', phase: 'teq', done: 1, total: 101 }], 64000);
    // One unit: the plan for the 100 left (AWQ 25 x 4096 x 5 + 3 x 20 steps x 256 x 5), not 60 s each.
    const plan = (25 * 16 * 256 * 5 + 3 * 20 * 256 * 5) / 2560;
    expect(estimateRemaining(r, 64000)).toEqual({ seconds: expect.closeTo((plan * 100) / 101 + ahead, 9), fromPlan: true });
    r = applyEvents(r, [{ type: 'progress', phase: 'teq', done: 21, total: 101 }], 74000);
    expect(estimateRemaining(r, 74000)!.seconds).toBeCloseTo(40 + ahead, 9); // 20 steps in 10 s, 80 to go
  });

  it("takes the device's rate from the quantized evaluation when the fp32 one was reused, before the planned error measurement", () => {
    const config = { ...teq, seqLen: 256, evalWindows: 8 };
    let r = startRun(config, 0, 5);
    // No fp32 evaluation (reused). The errors: 5 blocks in 10 s, planned 3 x 16 x 256 x 5 passes.
    r = applyEvents(r, [{ type: 'phase', phase: 'measure' }], 0);
    r = applyEvents(r, [{ type: 'progress', phase: 'measure', done: 5, total: 5 }], 10000);
    expect(measuredRate(r, 10000)).toBeCloseTo((3 * 16 * 256 * 5) / 10, 9);
    // The quantized evaluation: 1 of 8 windows first (shaders), then 6 more of 256 tokens x 5 blocks in 3 s.
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-quant' }], 10000);
    r = applyEvents(r, [{ type: 'progress', phase: 'eval-quant', done: 1, total: 8 }], 12000);
    r = applyEvents(r, [{ type: 'progress', phase: 'eval-quant', done: 7, total: 8 }], 15000);
    expect(measuredRate(r, 15000)).toBeCloseTo((6 * 256 * 5) / 3, 9);
  });

  it("plans the phases ahead from the fp32 evaluation's rate, not just the open one", () => {
    // Block-loss TEQ from ones, 20 steps of 4 x 256 tokens on 5 blocks, 16 x 256 calibration tokens.
    const config = { ...teq, teqLoss: 'block' as const, teqInit: 'ones' as const, steps: 20, seqLen: 256, calibSamples: 16, evalWindows: 8 };
    let r = startRun(config, 0, 5);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }], 0);
    r = applyEvents(r, [{ type: 'progress', phase: 'eval-fp', done: 4, total: 8 }], 2000);
    // fp32: 4 of 8 windows of 256 tokens through 5 blocks in 2 s = 2560 token-block passes a second.
    // TEQ: 3 passes x 20 steps x 4 x 256 tokens x 5 blocks + 3 x 4096 x 5 (the chain) = 368,640 -> 144 s.
    // Errors: 3 x 4096 x 5 = 61,440 -> 24 s. fp32 left: 2 s; quantized evaluation: 4 s.
    const est = estimateRemaining(r, 2000)!;
    expect(est.fromPlan).toBe(true);
    expect(est.seconds).toBeCloseTo(2 + 144 + 24 + 4, 9);
  });

  it("measures the device's rate from the fp32 evaluation's first progress on (shaders compile before it)", () => {
    const config = { ...teq, teqLoss: 'block' as const, teqInit: 'ones' as const, steps: 20, seqLen: 256, calibSamples: 16, evalWindows: 8 };
    let r = startRun(config, 0, 5);
    r = applyEvents(r, [{ type: 'phase', phase: 'eval-fp' }], 0);
    r = applyEvents(r, [{ type: 'progress', phase: 'eval-fp', done: 2, total: 8 }], 20000); // 20 s of compiling first
    r = applyEvents(r, [{ type: 'progress', phase: 'eval-fp', done: 8, total: 8 }], 23000);
    r = applyEvents(r, [{ type: 'phase', phase: 'teq' }], 23000);
    // 6 of 8 windows (6 x 256 tokens x 5 blocks = 7680 passes) in 3 s: 2560 a second, as above.
    expect(measuredRate(r, 23000)).toBeCloseTo(2560, 9);
    const est = estimateRemaining(r, 23000)!;
    // TEQ 144 s and the errors 24 s planned; the quantized evaluation's 10,240 passes at that rate: 4 s, not 23.
    expect(est.seconds).toBeCloseTo(144 + 24 + 4, 9);
  });

  it('estimates the second part of a compound method before it starts, and closes the first when it ends', () => {
    const config = { ...DEFAULT_CONFIG, method: 'teq+tesseraq' as const, evalWindows: 8 };
    let r = startRun(config, 0, 5);
    r = applyEvents(
      r,
      [
        { type: 'phase', phase: 'eval-fp' },
        { type: 'progress', phase: 'eval-fp', done: 8, total: 8 },
      ],
      0,
    );
    r = applyEvents(r, [{ type: 'phase', phase: 'teq+tesseraq' }], 4000);
    r = applyEvents(r, [{ type: 'progress', phase: 'teq', done: 10, total: 20, detail: 'step 10 of 20' }], 9000);
    expect(r.phases.find((p) => p.name === 'teq')).toMatchObject({ startedAt: 4000, sub: true, step: 'step 10 of 20' });
    r = applyEvents(r, [{ type: 'progress', phase: 'teq', done: 20, total: 20 }], 14000);
    const teqPart = r.phases.find((p) => p.name === 'teq')!;
    expect(teqPart.endedAt).toBe(14000); // its timer stops with its work, not at the next phase
    // Between the parts: TesseraQ is planned at the fp32 rate (8 x 256 x 5 passes in 4 s), never "0 s".
    const est = estimateRemaining(r, 15000)!;
    expect(est.fromPlan).toBe(true);
    const rate = (8 * 256 * 5) / 4;
    const tq = 25 * 16 * 256 * 5 + 3 * 10 * 10 * 4 * 256 * 5 + 3 * 16 * 256 * 5;
    const measure = 3 * 16 * 256 * 5;
    expect(est.seconds).toBeCloseTo(tq / rate + measure / rate + 4, 9);
    r = applyEvents(r, [{ type: 'progress', phase: 'tesseraq', done: 1, total: 50 }], 20000);
    expect(r.phases.find((p) => p.name === 'tesseraq')).toMatchObject({ startedAt: 14000, sub: true });
    r = applyEvents(r, [{ type: 'phase', phase: 'measure' }], 30000);
    expect(r.phases.filter((p) => p.endedAt === undefined).map((p) => p.name)).toEqual(['measure']);
  });
});
