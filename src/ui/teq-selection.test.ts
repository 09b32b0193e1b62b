import { describe, expect, it } from 'vitest';
import { readTeqSelection } from './teq-selection';
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
});
