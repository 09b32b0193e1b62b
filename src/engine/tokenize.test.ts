import { describe, expect, test } from 'vitest';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { SentencePieceBpeTokenizer, type PieceType } from '../formats/sentencepiece-bpe';
import { fixture, fixtureText, hfFolderSources } from '../formats/testing/fixtures';
import { CancelledError } from '../gpu/errors';
import { tokenizeInPieces } from './tokenize';

const bundled = (await loadGguf(fixture('models/stories260K.gguf'))).tokenizer;
const hf = (await loadHfFolder(hfFolderSources())).tokenizer;
const stories = fixtureText('data/tinystories_val.txt').slice(0, 60_000);
/** Characters the 512-piece vocabulary lacks (byte fallback), a surrogate pair, lone surrogates, no newline for long stretches. */
const odd = `${stories.slice(0, 3000)}\u00e9t\u00e9 \u6f22\u5b57 \ud83d\ude00 x\ud83d y\ude00 ${'abc '.repeat(2000)}\n\n\ttab`;

/** The one-shot encoding the pieces must reproduce. */
const oneShot = (tok: { bosId: number; encode(t: string): number[] }, text: string) => [tok.bosId, ...tok.encode(text)];

async function pieces(tok: Parameters<typeof tokenizeInPieces>[0], text: string, pieceChars: number) {
  let pauses = 0;
  const ids = await tokenizeInPieces(tok, text, { bos: tok.bosId, pieceChars, pause: async () => void pauses++ });
  return { ids: Array.from(ids), pauses };
}

describe('tokenizing in pieces gives the one-shot ids', () => {
  test.each([7, 100, 1000, 8192])('the bundled SentencePiece tokenizer, TinyStories and odd characters, pieces of %i characters', async (pieceChars) => {
    for (const text of [stories, odd]) {
      const { ids, pauses } = await pieces(bundled, text, pieceChars);
      expect(ids).toEqual(oneShot(bundled, text));
      // It was really cut (newlines fall back to bytes in this vocabulary; a piece ends at the first one past its length).
      expect(pauses).toBeGreaterThanOrEqual(text === stories ? Math.min(5, Math.floor(text.length / pieceChars) - 1) : 1);
    }
  });

  test('a vocabulary where a newline is a piece and "ab" merges: cuts only before characters without a piece, the dummy prefix only at the start', async () => {
    const pieces_ = ['<unk>', '<s>', '</s>', '<0x0A>', '<0xC3>', '<0xA9>', ' ', 'a', 'b', '\n', 'ab', ' ab', 'ab\n', '\nab'];
    const types: PieceType[] = pieces_.map((p, i) => (i === 0 ? 'unknown' : i < 3 ? 'control' : /^<0x/.test(p) ? 'byte' : 'normal'));
    const tok = new SentencePieceBpeTokenizer({ pieces: pieces_, scores: pieces_.map((_, i) => i), types, bosId: 1, eosId: 2, unkId: 0, addSpacePrefix: true });
    const text = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 'ab\u00e9' : i % 3 === 0 ? 'ab\nab' : 'a b')).join('');
    for (const pieceChars of [1, 2, 5, 64]) {
      const { ids, pauses } = await pieces(tok, text, pieceChars);
      expect(ids).toEqual(oneShot(tok, text));
      expect(pauses).toBeGreaterThan(0);
    }
    // The only cuts are before "é" (bytes): a text without one is one piece.
    expect((await pieces(tok, 'ab\nab a b'.repeat(50), 3)).pauses).toBe(0);
  });

  test('a tokenizer that cannot say where to cut (tokenizer.json) is encoded in one piece, with the same ids', async () => {
    const { ids, pauses } = await pieces(hf, stories, 1000);
    expect(pauses).toBe(0);
    expect(ids).toEqual(oneShot(hf, stories));
  });

  test('progress counts characters up to the whole text; an abort between pieces stops with a CancelledError', async () => {
    const seen: number[] = [];
    await tokenizeInPieces(bundled, stories, { pieceChars: 10_000, onProgress: (d) => seen.push(d), pause: async () => {} });
    expect(seen.at(-1)).toBe(stories.length);
    expect(seen.every((d, i) => i === 0 || d > seen[i - 1])).toBe(true);
    const ac = new AbortController();
    let done = 0;
    const p = tokenizeInPieces(bundled, stories, {
      pieceChars: 1000,
      onProgress: (d) => {
        done = d;
        if (d > 5000) ac.abort();
      },
      signal: ac.signal,
      pause: async () => {},
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(done).toBeLessThan(8000);
  });
});
