// Long texts are tokenized in pieces, with a pause between pieces so the worker still hears a
// Cancel and can report progress (a 50 MB upload took minutes in one call). The pieces are cut
// where the tokenizer says a cut changes nothing (Tokenizer.cutAtOrAfter), so the ids are the
// one-shot encoding's; a tokenizer that cannot say is encoded in one piece.
import type { Tokenizer } from '../core/model-config';
import { CancelledError } from '../gpu/errors';

/** Characters per piece: about 0.15 s of SentencePiece encoding on a slow machine (400k characters a second). */
export const PIECE_CHARS = 64 * 1024;

export interface TokenizeOptions {
  /** Put first (the model's BOS), as the perplexity and calibration protocols want. */
  bos?: number;
  pieceChars?: number;
  signal?: AbortSignal;
  /** Characters of `text` encoded so far. */
  onProgress?: (doneChars: number) => void;
  /** Between pieces (default: a macrotask, so messages such as cancel() are handled). */
  pause?: () => Promise<void>;
}

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** The ids of `text` (after `bos` when given), equal to [bos, ...tokenizer.encode(text)]. */
export async function tokenizeInPieces(tokenizer: Tokenizer, text: string, opts: TokenizeOptions = {}): Promise<Uint32Array> {
  const pieceChars = Math.max(1, opts.pieceChars ?? PIECE_CHARS);
  const pause = opts.pause ?? macrotask;
  const parts: number[][] = opts.bos !== undefined ? [[opts.bos]] : [];
  const canCut = typeof tokenizer.cutAtOrAfter === 'function' && typeof tokenizer.encodeContinuation === 'function';
  let start = 0;
  while (start < text.length) {
    if (opts.signal?.aborted) throw new CancelledError('Tokenizing the text');
    const end = canCut ? tokenizer.cutAtOrAfter!(text, start + pieceChars) : text.length;
    // The first piece gets the start-of-text treatment (SentencePiece's dummy prefix), the others not.
    const piece = text.slice(start, end);
    parts.push(start === 0 ? tokenizer.encode(piece) : tokenizer.encodeContinuation!(piece));
    start = end;
    opts.onProgress?.(start);
    if (start < text.length) await pause();
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint32Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
