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
});
