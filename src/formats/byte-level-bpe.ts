// GPT-2 style tokenizers shipped as vocab.json + merges.txt (no tokenizer.json, e.g. facebook/opt-*):
// the equivalent byte-level BPE tokenizer.json, for @huggingface/tokenizers.
import { FormatError } from './errors';

const SPECIAL = ['<s>', '</s>', '<pad>', '<unk>', '<mask>', '<|endoftext|>'];
const MAX_MERGES = 1 << 22;

export function byteLevelTokenizerJson(vocabJson: unknown, mergesTxt: string, files = { vocab: 'vocab.json', merges: 'merges.txt' }): Record<string, unknown> {
  if (
    typeof vocabJson !== 'object' ||
    vocabJson === null ||
    Array.isArray(vocabJson) ||
    !Object.values(vocabJson).every((v) => Number.isSafeInteger(v) && (v as number) >= 0)
  ) {
    throw new FormatError(files.vocab, 'is not a JSON object of token -> id', 'Use the vocab.json from the model repo');
  }
  const vocab = vocabJson as Record<string, number>;
  const lines = mergesTxt.split(/\r?\n/).filter((l) => l.length > 0 && !l.startsWith('#version'));
  if (lines.length > MAX_MERGES)
    throw new FormatError(files.merges, `has ${lines.length} merges, over the limit of ${MAX_MERGES}`, 'Use the merges.txt from the model repo');
  const merges = lines.map((l, i) => {
    const parts = l.split(' ');
    if (parts.length !== 2)
      throw new FormatError(
        files.merges,
        `line ${i + 1} ${JSON.stringify(l)} is not two tokens separated by a space`,
        'Use the merges.txt from the model repo',
      );
    return parts as [string, string];
  });
  const added = SPECIAL.filter((t) => t in vocab).map((t) => addedToken(vocab[t], t, true));
  const preTokenizer = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return byteLevelBpeJson({ vocab, merges, added, preTokenizer });
}

/** An entry of tokenizer.json's added_tokens: matched whole, before the BPE model sees the text. */
export function addedToken(id: number, content: string, special: boolean): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/**
 * A byte-level BPE tokenizer.json (GPT-2's decoder and post-processor) around a vocabulary, its
 * merges and a pre-tokenizer: what both vocab.json + merges.txt and GGUF's gpt2 vocabularies become.
 */
export function byteLevelBpeJson(t: {
  vocab: Record<string, number>;
  merges: (string | [string, string])[];
  added: Record<string, unknown>[];
  preTokenizer: Record<string, unknown>;
  /** llama-3's pre-tokenizer takes a whole word that is in the vocabulary without merging */
  ignoreMerges?: boolean;
}): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: t.added,
    normalizer: null,
    pre_tokenizer: t.preTokenizer,
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ...(t.ignoreMerges === undefined ? {} : { ignore_merges: t.ignoreMerges }),
      vocab: t.vocab,
      merges: t.merges,
    },
  };
}
