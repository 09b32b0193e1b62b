import { describe, expect, test } from 'vitest';
import { nonTextShare, splitQualityWarnings, textQualityWarnings } from './text-quality';

describe('calibration/evaluation text that is not text, or not read by the tokenizer, is warned about', () => {
  test('prose: no warning', () => {
    const prose = 'Once upon a time, there was a little girl named Lily.\n'.repeat(20);
    expect(nonTextShare(prose)).toBe(0);
    expect(textQualityWarnings('calibration text', nonTextShare(prose), Math.round(prose.length * 0.25), prose.length)).toEqual([]);
  });

  test('a binary file decoded as UTF-8: its share of control and replacement characters is named', () => {
    // 4096 bytes of a fixed pseudo-random sequence, decoded as the studio decodes an upload.
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    const text = new TextDecoder().decode(bytes);
    const share = nonTextShare(text);
    // Independent count: characters that are U+FFFD or controls other than \t \n \f \r.
    const isControl = (c: number) => c <= 0x08 || c === 0x0b || (c >= 0x0e && c <= 0x1f) || (c >= 0x7f && c <= 0x9f);
    const expected = [...text].filter((ch) => ch === '\ufffd' || isControl(ch.codePointAt(0)!)).length / text.length;
    expect(share).toBeCloseTo(expected, 12);
    expect(share).toBeGreaterThan(0.3);
    const w = textQualityWarnings('evaluation text', share, text.length, text.length);
    expect(w[0]).toMatch(/^\d+(\.\d)?% of the evaluation text is not text \(control characters or bytes that are not UTF-8\): is it a binary file\?/);
  });

  test('a script the tokenizer splits into bytes: tokens per character named', () => {
    const w = textQualityWarnings('calibration text', 0, 3000, 1000);
    expect(w).toEqual([expect.stringMatching(/^The tokenizer needs 3\.00 tokens per character of the calibration text \(English prose takes about 0\.25\)/)]);
    // Short texts are not judged by their ratio.
    expect(textQualityWarnings('calibration text', 0, 300, 100)).toEqual([]);
  });
});

describe('splitQualityWarnings', () => {
  test('tokenizes only a sample of each part and names the part', () => {
    const seen: number[] = [];
    const count = (t: string) => (seen.push(t.length), t.length * 2);
    const w = splitQualityWarnings({ calib: 'a'.repeat(100_000), eval: 'b'.repeat(500) }, count);
    expect(seen).toEqual([20_000, 500]);
    expect(w).toEqual([expect.stringContaining('of the calibration text'), expect.stringContaining('of the evaluation text')]);
  });
});
