import { describe, expect, it } from 'vitest';
import { isNearTie, marginText, readTeqSelection } from './teq-selection';
import type { RunResult } from '../core/run-types';

const run = (details: unknown) => ({ details }) as unknown as RunResult;

describe('readTeqSelection', () => {
  it('reads the kept step, the scores and how far α moved per block and group (|ln α|, by hand)', () => {
    const s = readTeqSelection(
      run({
        teq: {
          selection: {
            heldOutWindows: 16,
            trainWindows: 112,
            keptStep: 64,
            keptLoss: 1.5,
            startLoss: 1.6,
            scores: [
              { step: 0, loss: 1.6 },
              { step: 64, loss: 1.5 },
              { step: 'x', loss: 1 },
            ],
          },
          blocks: [
            { block: 0, alpha: { qkv: [1, Math.E, 1 / Math.E, 1] } },
            { block: 1, alpha: { qkv: 'bad' } },
          ],
        },
      }),
    )!;
    expect(s.keptStep).toBe(64);
    expect(s.scores).toEqual([
      { step: 0, loss: 1.6 },
      { step: 64, loss: 1.5 },
    ]);
    expect(s.moved).toHaveLength(1);
    expect(s.moved[0].block).toBe(0);
    expect(s.moved[0].meanAbsLog).toBeCloseTo(0.5, 12);
    expect(s.moved[0].maxAbsLog).toBeCloseTo(1, 12);
  });

  it('is null for runs without a selection (older runs, other methods)', () => {
    expect(readTeqSelection(run({ teq: { blocks: [] } }))).toBeNull();
    expect(readTeqSelection(run(undefined))).toBeNull();
  });

  it("reads each score's comparison (the step it was held against, its margin, whether it was kept) where the run has them", () => {
    const s = readTeqSelection(
      run({
        teq: {
          selection: {
            heldOutWindows: 16,
            trainWindows: 112,
            keptStep: 32,
            scores: [
              { step: 0, loss: 1.6, kept: true },
              { step: 32, loss: 1.5, against: 0, z: 2.2, kept: true },
              { step: 64, loss: 1.49, against: 32, z: null, kept: 'x' },
            ],
          },
          blocks: [],
        },
      }),
    )!;
    expect(s.scores).toEqual([
      { step: 0, loss: 1.6, kept: true },
      { step: 32, loss: 1.5, against: 0, z: 2.2, kept: true },
      { step: 64, loss: 1.49, against: 32 },
    ]);
  });
});

describe('margins', () => {
  it('says how many standard errors lower or higher, and names a near-tie (within 0.5 of the threshold of 2)', () => {
    expect(marginText(2.2)).toBe('2.20 standard errors lower (a near-tie)');
    expect(marginText(-0.4)).toBe('0.40 standard errors higher');
    expect(marginText(3.1)).toBe('3.10 standard errors lower');
    expect(marginText(undefined)).toBe('');
    expect([1.4, 1.6, 2.4, 2.6].map(isNearTie)).toEqual([false, true, true, false]);
  });
});
