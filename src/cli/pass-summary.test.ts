import { describe, expect, it } from 'vitest';
import { summarisePasses } from './pass-summary';

describe('summarisePasses', () => {
  it('gives each row its median and range over the passes, in first-seen order', () => {
    // the twenty-fourth round's 4096³ x·W and 1B down fwd over three passes, one slowed each
    const got = summarisePasses([
      { key: 'x·W', rate: 77.65 },
      { key: 'down', rate: 166.5 },
      { key: 'x·W', rate: 179.2 },
      { key: 'down', rate: 185.42 },
      { key: 'x·W', rate: 175.65 },
      { key: 'down', rate: 47.23 },
    ]);
    expect(got).toEqual([
      { key: 'x·W', median: 175.65, min: 77.65, max: 179.2, passes: 3 },
      { key: 'down', median: 166.5, min: 47.23, max: 185.42, passes: 3 },
    ]);
  });

  it('takes the mean of the middle two for an even count, and a single pass as it is', () => {
    expect(
      summarisePasses([
        { key: 'a', rate: 4 },
        { key: 'a', rate: 1 },
        { key: 'a', rate: 3 },
        { key: 'a', rate: 10 },
        { key: 'b', rate: 2 },
      ]),
    ).toEqual([
      { key: 'a', median: 3.5, min: 1, max: 10, passes: 4 },
      { key: 'b', median: 2, min: 2, max: 2, passes: 1 },
    ]);
  });
});
