import { describe, expect, it } from 'vitest';
import { calibrationSamples } from './calibration';

// Token i is i, so each window's first token is where it starts.
const tokens = Array.from({ length: 20 }, (_, i) => i);
const starts = (ids: Uint32Array, seqLen: number) => Array.from({ length: ids.length / seqLen }, (_, s) => ids[s * seqLen]);

describe('calibrationSamples', () => {
  it('starts windows where torch.randint / numpy.random.randint / random.randint put them for the seed', () => {
    // 20 tokens, windows of 10: starts in [0, 10). torch.manual_seed(0); torch.randint(0, 10, (5,)) = [4, 9, 3, 0, 3];
    // numpy.random.seed(0); numpy.random.randint(0, 10, 5) = [5, 0, 3, 3, 7]; random.seed(0); random.randint(1, 10) = 7.
    expect(starts(calibrationSamples(tokens, 5, 10, 0, 'torch'), 10)).toEqual([4, 9, 3, 0, 3]);
    expect(starts(calibrationSamples(tokens, 5, 10, 0, 'numpy'), 10)).toEqual([5, 0, 3, 3, 7]);
    expect(starts(calibrationSamples(tokens, 1, 10, 0, 'python'), 10)).toEqual([6]);
  });

  it('copies whole windows of consecutive tokens, each inside the text', () => {
    for (const draw of ['studio', 'torch', 'numpy', 'python'] as const) {
      const ids = calibrationSamples(tokens, 8, 10, 3, draw);
      for (let s = 0; s < 8; s++) {
        const w = Array.from(ids.subarray(s * 10, s * 10 + 10));
        expect(w).toEqual(Array.from({ length: 10 }, (_, i) => w[0] + i));
        expect(w[9]).toBeLessThan(20);
      }
    }
  });

  it('says what to do when the text is shorter than one window', () => {
    expect(() => calibrationSamples(tokens, 1, 20, 0, 'torch')).toThrow(/fewer than one sample of 20.*shorter sequence length/);
  });
});
