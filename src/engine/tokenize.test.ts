import { describe, expect, test } from 'vitest';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { HfTokenizer } from '../formats/hf-tokenizer';
import { byteLevelTokenizerJson } from '../formats/byte-level-bpe';
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

  test('byte-level BPE (GPT-2, Llama 3, Qwen2 with NFC, SmolLM pre-tokenizers) with trained merges: cut before a letter after a newline, the same ids', async () => {
    const text = `${stories.slice(0, 30_000)}\nA\n\nB.\nC\u00e9 12345\n\u6f22\n${'word '.repeat(50)}.\n\nEnd`;
    for (const [style, tok] of Object.entries(byteLevelStyles(stories.slice(30_000, 45_000)))) {
      for (const pieceChars of [50, 1000, 5000]) {
        const { ids, pauses } = await pieces(tok, text, pieceChars);
        expect(ids, `${style}, pieces of ${pieceChars}`).toEqual(oneShot(tok, text));
        expect(pauses, style).toBeGreaterThan(0);
      }
    }
  });

  test('the trained tokenizers are sensitive to where a cut falls: after a blank line or inside a word the ids differ', () => {
    const { gpt2 } = byteLevelStyles(stories.slice(30_000, 45_000));
    const at = (tok: HfTokenizer, t: string, i: number) => [...tok.encode(t.slice(0, i)), ...tok.encode(t.slice(i))];
    // GPT-2's regex splits "\n\n" before a letter into two pieces, but keeps it whole at the end of a text.
    const blank = 'It was so.\n\nThen';
    expect(at(gpt2, blank, blank.indexOf('Then'))).not.toEqual(gpt2.encode(blank));
    // The rule never cuts there (that newline follows a newline); after a single newline it does.
    expect(gpt2.cutAtOrAfter(blank, 1)).toBe(blank.length);
    expect(gpt2.cutAtOrAfter('It was so.\nThen', 1)).toBe('It was so.\n'.length);
    const word = 'Once upon a time';
    expect(at(gpt2, word, 7)).not.toEqual(gpt2.encode(word));
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

/** GPT-2's map from bytes to printable characters (ByteLevel). */
function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCharCode(keep(b) ? b : 256 + extra++));
}

/** Byte-level BPE vocabularies with merges learned from `corpus` split by each style's regex. */
function byteLevelStyles(corpus: string): Record<'gpt2' | 'llama3' | 'qwen2' | 'smollm', HfTokenizer> {
  const gpt2Regex = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const llama3Regex = /'s|'t|'re|'ve|'m|'ll|'d|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;
  const llama3Pattern = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const qwen2Pattern = llama3Pattern.replace('\\p{N}{1,3}', '\\p{N}');
  const chars = bytesToUnicode();
  const utf8 = new TextEncoder();
  const train = (regex: RegExp, merges = 250) => {
    const words = new Map<string, number>();
    for (const w of corpus.match(regex) ?? []) {
      const k = Array.from(utf8.encode(w), (b) => chars[b]).join(' ');
      words.set(k, (words.get(k) ?? 0) + 1);
    }
    let seqs = [...words].map(([k, n]) => ({ syms: k.split(' '), n }));
    const vocab: Record<string, number> = {};
    chars.forEach((c, i) => (vocab[c] = i));
    // "\n\n" is one token when it is one piece (GPT-2's regex makes it one at the end of a text).
    const learned: string[] = [];
    const nl = chars[10];
    vocab[nl + nl] = Object.keys(vocab).length;
    learned.push(`${nl} ${nl}`);
    for (let m = 0; m < merges; m++) {
      const counts = new Map<string, number>();
      for (const { syms, n } of seqs)
        for (let i = 0; i + 1 < syms.length; i++) counts.set(`${syms[i]} ${syms[i + 1]}`, (counts.get(`${syms[i]} ${syms[i + 1]}`) ?? 0) + n);
      const best = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      if (!best) break;
      const [l, r] = best[0].split(' ');
      learned.push(best[0]);
      vocab[l + r] ??= Object.keys(vocab).length;
      seqs = seqs.map(({ syms, n }) => {
        const out: string[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === l && syms[i + 1] === r) {
            out.push(l + r);
            i++;
          } else out.push(syms[i]);
        }
        return { syms: out, n };
      });
    }
    vocab['<|endoftext|>'] = Object.keys(vocab).length;
    return byteLevelTokenizerJson(vocab, learned.join('\n'));
  };
  const withPre = (json: Record<string, unknown>, pre: unknown, normalizer: unknown = null) =>
    new HfTokenizer({ ...json, pre_tokenizer: pre, normalizer }, {}, { bosId: 0 });
  const gpt2Json = train(gpt2Regex);
  const llama3Json = train(llama3Regex);
  const split = (Regex: string) => ({ type: 'Split', pattern: { Regex }, behavior: 'Isolated', invert: false });
  const byteLevel = (use_regex: boolean) => ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex });
  return {
    gpt2: new HfTokenizer(gpt2Json, {}, { bosId: 0 }),
    llama3: withPre(llama3Json, { type: 'Sequence', pretokenizers: [split(llama3Pattern), byteLevel(false)] }),
    qwen2: withPre(llama3Json, { type: 'Sequence', pretokenizers: [split(qwen2Pattern), byteLevel(false)] }, { type: 'NFC' }),
    smollm: withPre(gpt2Json, { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel(true)] }),
  };
}
