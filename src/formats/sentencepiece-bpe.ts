// SentencePiece BPE encoding as llama2.c and llama.cpp's "llama" vocabularies do it: a " " prefix,
// one symbol per code point (unknown code points fall back to their UTF-8 bytes, piece <0xNN>),
// then repeatedly merge the adjacent pair whose concatenation is the best-scoring piece (leftmost
// on ties). A heap with lazy invalidation makes it O(n log n), so 200 kB of text encodes quickly.
import type { Tokenizer } from '../core/model-config';

export type PieceType = 'normal' | 'unknown' | 'control' | 'user' | 'unused' | 'byte';

export interface SentencePieceVocab {
  /** Piece text with U+2581 written as a plain space. */
  pieces: string[];
  scores: ArrayLike<number>;
  types: PieceType[];
  bosId: number;
  eosId: number;
  unkId: number;
  /** SentencePiece's add_dummy_prefix: a " " before non-empty text. */
  addSpacePrefix: boolean;
}

const UTF8 = new TextEncoder();
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** GGUF token_type values (llama.cpp's llama_token_type). */
export function pieceTypeFromGguf(t: number): PieceType {
  return (['normal', 'normal', 'unknown', 'control', 'user', 'unused', 'byte'] as const)[t] ?? 'normal';
}

/** llama2.c's tokenizer.bin has no types: id 0 is <unk>, 1 and 2 are BOS/EOS, <0xNN> are bytes. */
export function inferPieceTypes(pieces: string[], unkId = 0, controlIds: number[] = [1, 2]): PieceType[] {
  return pieces.map((p, i) => (i === unkId ? 'unknown' : controlIds.includes(i) ? 'control' : BYTE_PIECE.test(p) ? 'byte' : 'normal'));
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

class MaxHeap {
  // Entries packed as parallel arrays; priority: score desc, then left position asc.
  private score: number[] = [];
  private left: number[] = [];
  private right: number[] = [];
  private stamp: number[] = []; // the merged piece id
  get size(): number {
    return this.score.length;
  }
  private better(i: number, j: number): boolean {
    return this.score[i] > this.score[j] || (this.score[i] === this.score[j] && this.left[i] < this.left[j]);
  }
  private swap(i: number, j: number): void {
    const s = this.score[i],
      l = this.left[i],
      r = this.right[i],
      t = this.stamp[i];
    this.score[i] = this.score[j];
    this.left[i] = this.left[j];
    this.right[i] = this.right[j];
    this.stamp[i] = this.stamp[j];
    this.score[j] = s;
    this.left[j] = l;
    this.right[j] = r;
    this.stamp[j] = t;
  }
  push(score: number, left: number, right: number, stamp: number): void {
    this.score.push(score);
    this.left.push(left);
    this.right.push(right);
    this.stamp.push(stamp);
    let i = this.score.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number, number] {
    const top: [number, number, number] = [this.left[0], this.right[0], this.stamp[0]];
    const last = this.score.length - 1;
    this.swap(0, last);
    this.score.pop();
    this.left.pop();
    this.right.pop();
    this.stamp.pop();
    let i = 0;
    const n = this.score.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let b = i;
      if (l < n && this.better(l, b)) b = l;
      if (r < n && this.better(r, b)) b = r;
      if (b === i) break;
      this.swap(i, b);
      i = b;
    }
    return top;
  }
}

export class SentencePieceBpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Mergeable pieces (normal and user-defined) by text. */
  private readonly pieceIds = new Map<string, number>();
  private readonly byteIds: number[] = new Array(256).fill(-1);
  private readonly byteOf: number[];

  constructor(readonly vocab: SentencePieceVocab) {
    this.vocabSize = vocab.pieces.length;
    this.bosId = vocab.bosId;
    this.eosId = vocab.eosId;
    this.byteOf = new Array(vocab.pieces.length).fill(-1);
    vocab.pieces.forEach((p, id) => {
      const t = vocab.types[id];
      if (t === 'normal' || t === 'user') {
        if (!this.pieceIds.has(p)) this.pieceIds.set(p, id);
      } else if (t === 'byte') {
        const m = BYTE_PIECE.exec(p);
        if (m) {
          const b = parseInt(m[1], 16);
          if (this.byteIds[b] < 0) this.byteIds[b] = id;
          this.byteOf[id] = b;
        }
      }
    });
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.encodeSymbols(this.vocab.addSpacePrefix ? ' ' + text : text);
  }

  encodeContinuation(text: string): number[] {
    return text.length === 0 ? [] : this.encodeSymbols(text);
  }

  /**
   * A character with no piece of its own falls back to byte pieces, which never merge: no merge
   * crosses it, so the text can be cut just before it (and the dummy prefix belongs to the start only).
   */
  cutAtOrAfter(text: string, from: number): number {
    let i = Math.max(0, from);
    // Not inside a surrogate pair: encode() reads code points.
    if (i > 0 && i < text.length && isLowSurrogate(text.charCodeAt(i)) && isHighSurrogate(text.charCodeAt(i - 1))) i++;
    while (i < text.length) {
      const cp = text.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (!this.pieceIds.has(ch)) return i;
      i += ch.length;
    }
    return text.length;
  }

  private encodeSymbols(full: string): number[] {
    // Symbols: text, or a byte-fallback id (never merged).
    const sym: string[] = [];
    const fixedId: number[] = [];
    for (const ch of full) {
      if (this.pieceIds.has(ch)) {
        sym.push(ch);
        fixedId.push(-1);
      } else {
        for (const b of UTF8.encode(ch)) {
          sym.push('');
          fixedId.push(this.byteIds[b] >= 0 ? this.byteIds[b] : this.vocab.unkId);
        }
      }
    }
    const n = sym.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new MaxHeap();
    const scores = this.vocab.scores;
    const tryPair = (l: number, r: number): void => {
      if (l < 0 || r < 0 || fixedId[l] >= 0 || fixedId[r] >= 0) return;
      const id = this.pieceIds.get(sym[l] + sym[r]);
      if (id === undefined) return;
      heap.push(scores[id], l, r, id);
    };
    for (let i = 0; i + 1 < n; i++) tryPair(i, i + 1);
    while (heap.size > 0) {
      const [l, r, id] = heap.pop();
      // Stale entry? A symbol only grows by absorbing its right neighbour, so l is unchanged
      // while next[l] is still r, and r is unchanged while its length is.
      if (next[l] !== r || sym[l].length + sym[r].length !== this.vocab.pieces[id].length) continue;
      sym[l] = sym[l] + sym[r];
      sym[r] = '';
      const rn = next[r];
      next[l] = rn;
      if (rn >= 0) prev[rn] = l;
      next[r] = -2; // dead
      tryPair(prev[l], l);
      tryPair(l, rn);
    }
    const ids: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) ids.push(fixedId[i] >= 0 ? fixedId[i] : this.pieceIds.get(sym[i])!);
    return ids;
  }

  idToToken(id: number): string | undefined {
    return this.vocab.pieces[id];
  }

  decode(ids: number[]): string {
    const bytes: number[] = [];
    const enc = UTF8;
    for (const id of ids) {
      if (id < 0 || id >= this.vocabSize) continue;
      const t = this.vocab.types[id];
      if (t === 'control' || t === 'unused') continue;
      if (t === 'byte' && this.byteOf[id] >= 0) bytes.push(this.byteOf[id]);
      else if (t === 'unknown') for (const b of enc.encode(' \u2047 ')) bytes.push(b);
      else for (const b of enc.encode(this.vocab.pieces[id])) bytes.push(b);
    }
    let s = new TextDecoder().decode(new Uint8Array(bytes));
    if (this.vocab.addSpacePrefix && s.startsWith(' ')) s = s.slice(1);
    return s;
  }
}
