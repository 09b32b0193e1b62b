import { describe, expect, it } from 'vitest';
import { crossEntropyBackwardRef, crossEntropyRef, IGNORE_TARGET } from './cross-entropy';
import { randn } from './rng';

describe('cross-entropy twins', () => {
  it('match a hand-computed case', () => {
    // Row 0: logits [0, ln 3] -> p = [1/4, 3/4], target 1 -> loss = -ln(3/4).
    const { loss, lse } = crossEntropyRef([0, Math.log(3), 5, 5], 2, 2, [1, IGNORE_TARGET]);
    expect(loss[0]).toBeCloseTo(-Math.log(0.75), 14);
    expect(lse[0]).toBeCloseTo(Math.log(4), 14);
    expect(loss[1]).toBe(0);
    expect(lse[1]).toBeCloseTo(5 + Math.log(2), 14);
    const d = crossEntropyBackwardRef([0, Math.log(3), 5, 5], 2, 2, [1, IGNORE_TARGET], lse, 2);
    expect(d[0]).toBeCloseTo(0.5, 14);
    expect(d[1]).toBeCloseTo(-0.5, 14);
    expect([d[2], d[3]]).toEqual([0, 0]);
  });
  it('backward matches central finite differences of scale * sum(loss)', () => {
    const tokens = 4,
      vocab = 7,
      scale = 0.37;
    const targets = [3, IGNORE_TARGET, 0, 6];
    const logits = Float64Array.from(randn(tokens * vocab, 5, 2));
    const f = (z: Float64Array) => scale * crossEntropyRef(z, tokens, vocab, targets).loss.reduce((a, b) => a + b, 0);
    const { lse } = crossEntropyRef(logits, tokens, vocab, targets);
    const grad = crossEntropyBackwardRef(logits, tokens, vocab, targets, lse, scale);
    const h = 1e-5;
    for (let i = 0; i < logits.length; i++) {
      const p = logits.slice(),
        q = logits.slice();
      p[i] += h;
      q[i] -= h;
      expect(grad[i]).toBeCloseTo((f(p) - f(q)) / (2 * h), 8);
    }
  });
});
