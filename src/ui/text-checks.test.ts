import { describe, expect, it } from 'vitest';
import type { TextStats } from '../worker/protocol';
import { planText } from './text-checks';

const stats = (calibTokens: number, evalTokens: number): TextStats => ({
  source: 'custom',
  split: '',
  calibChars: 0,
  evalChars: 0,
  reused: false,
  calibTokens,
  evalTokens,
  model: 'm',
});

describe('text plan', () => {
  it('counts windows and scored tokens', () => {
    // 1000 eval tokens / 128 = 7 windows; 4 asked; each scores 127 tokens.
    const p = planText({ calibSamples: 8, seqLen: 128, evalWindows: 4 }, stats(5000, 1000), { maxPositions: 512 });
    expect(p).toEqual({ windowsAvailable: 7, windowsUsed: 4, scoredTokens: 508, calibTokensDrawn: 1024, problems: [], warnings: [] });
  });

  it("shows the worker's text-quality warnings (binary or byte-fallback text) with its own", () => {
    const w = 'The tokenizer needs 3.00 tokens per character of the calibration text';
    expect(planText({ calibSamples: 1, seqLen: 100, evalWindows: 0 }, { ...stats(500, 1000), warnings: [w] }).warnings).toEqual([w]);
  });

  it('uses every window when evalWindows is 0', () => {
    expect(planText({ calibSamples: 1, seqLen: 100, evalWindows: 0 }, stats(500, 1000)).windowsUsed).toBe(10);
  });

  it('names too little calibration and evaluation text, and a too long sequence', () => {
    const p = planText({ calibSamples: 1, seqLen: 600, evalWindows: 1 }, stats(600, 599), { maxPositions: 512 });
    expect(p.problems).toHaveLength(3);
    expect(p.problems[0]).toContain("model's context of 512");
    expect(p.problems[1]).toContain('calibration part has 600 tokens');
    expect(p.problems[2]).toContain('evaluation part has 599 tokens');
  });

  it('warns about overlapping samples and missing windows without blocking the run', () => {
    const p = planText({ calibSamples: 10, seqLen: 100, evalWindows: 20 }, stats(500, 1000));
    expect(p.problems).toEqual([]);
    expect(p.warnings).toEqual([
      'Only 10 evaluation windows fit in the text; 20 were asked for.',
      '10 samples × 100 tokens is more than the 500 calibration tokens: samples will overlap.',
    ]);
  });
});
