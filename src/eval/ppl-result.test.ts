import { describe, expect, test } from 'vitest';
import { EngineError } from '../gpu/errors';
import { NonFinitePerplexityError, perplexityOf } from './ppl-result';

describe('a non-finite perplexity is an error, not a result', () => {
  test('finite losses give exp(mean NLL)', () => {
    expect(perplexityOf(3 * Math.log(5), 3, 0)).toBeCloseTo(5, 12);
  });

  test('NaN, infinite and overflowing losses throw with the count of bad tokens', () => {
    for (const [nll, bad, ppl] of [
      [NaN, 2, 'NaN'],
      [Infinity, 1, 'Infinity'],
      [1e6, 0, 'Infinity'],
    ] as const) {
      const e = (() => {
        try {
          perplexityOf(nll, 10, bad);
        } catch (x) {
          return x;
        }
      })() as NonFinitePerplexityError;
      expect(e).toBeInstanceOf(EngineError);
      expect(e.kind).toBe('bad-input');
      expect(e.message).toContain(`The perplexity is ${ppl} (not a finite number): ${bad} of 10 scored tokens`);
    }
  });
});
