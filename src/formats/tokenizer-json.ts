// tokenizer.json's model section, checked before @huggingface/tokenizers reads it: the library
// takes an unknown model.type as BPE and a vocab given as an array as ids 0, 1, 2... of its
// indices, and tokenizes every word to id 0 without an error.
import { FormatError } from './errors';

const MODEL_TYPES = ['BPE', 'WordPiece', 'WordLevel', 'Unigram'];

export function validateTokenizerJson(json: unknown, file: string): void {
  const fix = 'Use the tokenizer.json from the model repo';
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FormatError(file, 'is not a JSON object', fix);
  const model = (json as { model?: unknown }).model;
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw new FormatError(file, 'has no "model" object', fix);
  const m = model as { type?: unknown; vocab?: unknown; merges?: unknown };
  const type = m.type ?? 'BPE';
  if (typeof type !== 'string' || !MODEL_TYPES.includes(type)) {
    throw new FormatError(file, `has model.type ${JSON.stringify(m.type)}, not one of ${MODEL_TYPES.join(', ')}`, fix);
  }
  if (type === 'Unigram') {
    if (!Array.isArray(m.vocab) || !m.vocab.every((e) => Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number')) {
      throw new FormatError(file, 'has a Unigram model.vocab that is not a list of [piece, score] pairs', fix);
    }
    return;
  }
  if (typeof m.vocab !== 'object' || m.vocab === null || Array.isArray(m.vocab)) {
    throw new FormatError(
      file,
      `has a ${type} model.vocab that is ${Array.isArray(m.vocab) ? 'an array' : JSON.stringify(m.vocab)}, not an object of piece -> id`,
      fix,
    );
  }
  const vocab = m.vocab as Record<string, unknown>;
  const ids = new Set<number>();
  for (const [piece, id] of Object.entries(vocab)) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
      throw new FormatError(file, `gives the piece ${JSON.stringify(piece)} the id ${JSON.stringify(id)}, not a non-negative integer`, fix);
    if (ids.has(id)) throw new FormatError(file, `gives the id ${id} to two pieces (one is ${JSON.stringify(piece)})`, fix);
    ids.add(id);
  }
  if (type !== 'BPE') return;
  if (!Array.isArray(m.merges)) throw new FormatError(file, `has a BPE model without a merges list (${JSON.stringify(m.merges)})`, fix);
  m.merges.forEach((merge: unknown, i: number) => {
    const pair = typeof merge === 'string' ? merge.split(' ') : merge;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p) => typeof p === 'string')) {
      throw new FormatError(file, `has merge ${i} ${JSON.stringify(merge)}, not two pieces ("a b" or ["a", "b"])`, fix);
    }
    for (const p of pair as string[]) {
      if (!Object.hasOwn(vocab, p))
        throw new FormatError(file, `has merge ${i} ${JSON.stringify(merge)} whose piece ${JSON.stringify(p)} is not in the vocabulary`, fix);
    }
  });
}
