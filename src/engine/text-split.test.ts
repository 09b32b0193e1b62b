import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { splitText } from './text-split';

describe('calibration/evaluation split', () => {
  it('cuts TinyStories at character 160,226, the reference split', () => {
    const text = readFileSync(new URL('../../public/data/tinystories_val.txt', import.meta.url), 'utf8');
    const s = splitText(text);
    expect(s.calib.length).toBe(160_226);
    expect(s.calib + s.eval).toBe(text);
  });
  it('cuts a short text at the first paragraph break after 40%', () => {
    const text = 'aaaa\n\nbbbb\n\ncccc dddd eeee\n\nffff'; // 40% of 33 = 13: inside "cccc..."
    const s = splitText(text);
    expect(s.calib).toBe('aaaa\n\nbbbb\n\ncccc dddd eeee\n\n');
    expect(s.eval).toBe('ffff');
  });
  it('a large text without a paragraph break near character 160,000 is cut after a line near it, or at it: calibration stays small', () => {
    const lines = 'a line of text\n'.repeat(200_000); // 3,000,000 characters, no blank line until the end
    const s = splitText(`${lines}\n${lines}`);
    expect(s.calib.length).toBe(160_005); // the first line end at or after 160,000 (lines of 15 characters)
    expect(s.calib.endsWith('\n')).toBe(true);
    const noNewline = 'x'.repeat(1_000_000) + '\n\n' + 'y'.repeat(10);
    expect(splitText(noNewline).calib.length).toBe(160_000);
  });
});
