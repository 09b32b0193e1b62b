import { describe, expect, test } from 'vitest';
import { bytesSource } from './byte-source';
import { byteLevelTokenizerJson } from './byte-level-bpe';
import { FormatError } from './errors';
import { HfTokenizer } from './hf-tokenizer';

// A hand-made GPT-2 style vocabulary: byte-level symbols (space is "\u0120"), merges in rank order.
const vocab = {
  h: 0,
  e: 1,
  l: 2,
  o: 3,
  '\u0120': 4,
  w: 5,
  r: 6,
  d: 7,
  he: 8,
  ll: 9,
  hell: 10,
  hello: 11,
  '\u0120w': 12,
  or: 13,
  '\u0120wor': 14,
  ld: 15,
  '\u0120world': 16,
  '</s>': 17,
};
const merges = ['#version: 0.2', 'h e', 'l l', 'he ll', 'hell o', '\u0120 w', 'o r', '\u0120w or', 'l d', '\u0120wor ld'].join('\n');

describe('vocab.json + merges.txt (byte-level BPE)', () => {
  test('encodes and decodes by the merges (hand-computed ids)', () => {
    const tok = new HfTokenizer(byteLevelTokenizerJson(vocab, merges), {}, { bosId: 17, eosId: 17 });
    expect(tok.encode('hello world')).toEqual([11, 16]);
    expect(tok.encode('hold')).toEqual([0, 3, 15]);
    expect(tok.decode([11, 16])).toBe('hello world');
    expect(tok.decode([17, 11])).toBe('hello');
    expect(tok.vocabSize).toBe(18);
  });

  test('bad files give clear errors', () => {
    expect(() => byteLevelTokenizerJson([1, 2], merges)).toThrow(FormatError);
    expect(() => byteLevelTokenizerJson(vocab, 'h e x')).toThrow(/merges\.txt: line 1 "h e x" is not two tokens/);
  });

  test('an HF folder without tokenizer.json uses vocab.json + merges.txt', async () => {
    const { loadHfFolder } = await import('./hf-folder');
    const { hfFolderSources } = await import('./testing/fixtures');
    const srcs = hfFolderSources().filter((s) => s.name !== 'tokenizer.json' && s.name !== 'tokenizer_config.json');
    srcs.push(bytesSource('vocab.json', new TextEncoder().encode(JSON.stringify(vocab))), bytesSource('merges.txt', new TextEncoder().encode(merges)));
    const m = await loadHfFolder(srcs);
    expect(m.tokenizer.encode('hello world')).toEqual([11, 16]);
  });
});
