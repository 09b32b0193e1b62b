import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/run-types';
import { progressReporter } from './method-context';

function harness() {
  const events: RunEvent[] = [];
  let t = 0;
  const report = progressReporter({ emit: (e) => events.push(e) }, 'teq', 200, () => t);
  return { events, report, at: (ms: number) => (t = ms) };
}

describe('progressReporter', () => {
  it('drops steps inside the throttle window but never a block-done milestone', () => {
    const { events, report, at } = harness();
    // TEQ block-wise, 2 blocks x 3 steps, every report 10 ms apart: only the first step and the
    // milestones may pass; the block-done of block 1 comes 10 ms after a step that passed.
    at(0);
    report(0, 6, 'block 1 of 2 · step 1 of 3');
    at(10);
    report(1, 6, 'block 1 of 2 · step 2 of 3');
    at(20);
    report(2, 6, 'block 1 of 2 · step 3 of 3');
    at(30);
    report(3, 6, 'block 1 of 2 done', true);
    at(40);
    report(3, 6, 'block 2 of 2 · step 1 of 3');
    at(50);
    report(6, 6, 'block 2 of 2 done', true);
    expect(events.map((e) => (e.type === 'progress' ? `${e.done}/${e.total} ${e.detail}` : e.type))).toEqual([
      '0/6 block 1 of 2 · step 1 of 3',
      '3/6 block 1 of 2 done',
      '6/6 block 2 of 2 done',
    ]);
  });

  it('without the milestone flag the same block-done inside the window is dropped (what the flag fixes)', () => {
    const { events, report, at } = harness();
    at(0);
    report(0, 6, 'step');
    at(30);
    report(3, 6, 'block 1 of 2 done');
    expect(events).toHaveLength(1);
  });

  it('passes the phase end and a step after the window has elapsed', () => {
    const { events, report, at } = harness();
    at(0);
    report(0, 10);
    at(199);
    report(1, 10);
    at(200);
    report(2, 10);
    at(201);
    report(10, 10);
    expect(events.map((e) => (e.type === 'progress' ? e.done : -1))).toEqual([0, 2, 10]);
  });
});
