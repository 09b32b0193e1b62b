import { describe, expect, test } from 'vitest';
import { loadGguf } from './gguf-model';
import { readLlama2cTokenizer } from './llama2c';
import { inferPieceTypes, SentencePieceBpeTokenizer, type SentencePieceVocab } from './sentencepiece-bpe';
import { fixture, fixtureText, GREEDY_IDS, GREEDY_TEXT, REFERENCE_IDS, REFERENCE_SENTENCE } from './testing/fixtures';

/** llama2.c's encode(), transcribed literally: O(n^2) scan for the best-scoring adjacent pair. */
function llama2cEncode(v: SentencePieceVocab, text: string): number[] {
  const lookup = new Map<string, number>();
  v.pieces.forEach((p, i) => {
    if (!lookup.has(p)) lookup.set(p, i);
  });
  const tokens: number[] = [];
  if (text.length > 0) tokens.push(lookup.get(' ')!);
  for (const ch of text) {
    const id = lookup.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of new TextEncoder().encode(ch)) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(v.pieces[tokens[i]] + v.pieces[tokens[i + 1]]);
      if (id !== undefined && v.scores[id] > best) {
        best = v.scores[id];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

describe('SentencePiece BPE (tok512)', async () => {
  const vocab = await readLlama2cTokenizer(fixture('models/tok512.bin'), 512);
  const tok = new SentencePieceBpeTokenizer(vocab);

  test('encodes the README reference sentence to the exact ids', () => {
    expect(tok.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
  });

  test('decodes the greedy reference tokens (BOS skipped, leading space stripped)', () => {
    expect(tok.decode(GREEDY_IDS)).toBe(GREEDY_TEXT);
  });

  test('"\\n" falls back to byte token 13; unknown code points to their UTF-8 bytes + 3', () => {
    const space = vocab.pieces.indexOf(' ');
    expect(space).toBeGreaterThan(258);
    expect(tok.encode('\n')).toEqual([space, 13]);
    const ids = tok.encode('a\nb');
    expect(ids).toContain(13);
    // U+65E5 is not a tok512 piece: bytes E6 97 A5 -> ids 0xE6+3, 0x97+3, 0xA5+3.
    expect(vocab.pieces.includes('\u65e5')).toBe(false);
    const e = tok.encode('\u65e5');
    expect(e).toEqual([space, 0xe6 + 3, 0x97 + 3, 0xa5 + 3]);
    expect(tok.decode(e)).toBe('\u65e5');
  });

  test('empty text encodes to nothing', () => {
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
  });

  test('the heap implementation equals the literal llama2.c algorithm', () => {
    const samples = [
      fixtureText('data/tinystories_val.txt').slice(0, 3000),
      fixtureText('data/wiki.test.raw').slice(5000, 8000),
      fixtureText('data/tinyshakespeare.txt').slice(0, 3000),
      'aaaa aaaa   bbbb\t\tü 日本語 🙂 <s> </s> <0x41> \u2581x',
      ' leading and trailing spaces  ',
    ];
    for (const s of samples) expect(tok.encode(s)).toEqual(llama2cEncode(vocab, s));
  });

  test('decode(encode(text)) gives the text back', () => {
    for (const s of [fixtureText('data/wiki.valid.raw').slice(0, 20000), 'ü 日本語 🙂\n\nx']) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  test('the GGUF-embedded vocabulary encodes identically', async () => {
    const g = await loadGguf(fixture('models/stories260K.gguf'));
    const text = fixtureText('data/tinystories_val.txt').slice(0, 50000);
    expect(g.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
    expect(g.tokenizer.encode(text)).toEqual(tok.encode(text));
    expect(g.tokenizer.decode(GREEDY_IDS)).toBe(GREEDY_TEXT);
  });

  test('piece types are inferred for llama2.c vocabularies', () => {
    expect(inferPieceTypes(['<unk>', '\n<s>\n', '\n</s>\n', '<0x00>', 'ab'])).toEqual(['unknown', 'control', 'control', 'byte', 'normal']);
  });
});
