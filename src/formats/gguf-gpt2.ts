// llama.cpp's "gpt2" GGUF vocabularies (byte-level BPE): tokens by id in GPT-2's byte-to-unicode
// form, token types, merges as "a b" strings and a named pre-tokenizer (tokenizer.ggml.pre), as
// convert_hf_to_gguf.py writes them; to and from tokenizer.json. Only pre-tokenizers whose
// llama.cpp regexes split text as transformers' do are named here (where they differ on some text,
// GPT-4o's case classes, Qwen's NFC, the export says so in its notes).
import { FormatError } from './errors';
import { addedToken, byteLevelBpeJson } from './byte-level-bpe';

/** llama.cpp's llama_token_type values. */
export const GGUF_TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, user: 4, unused: 5, byte: 6 } as const;

type Json = Record<string, unknown>;

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen2's (Qwen2.5, Qwen3): LLaMA 3's with single digits. */
const QWEN2_SPLIT = LLAMA3_SPLIT.replace('\\p{N}{1,3}', '\\p{N}');
/** o200k's (GPT-4o; Phi-4-mini): words split at case changes, contractions kept with them. */
const CASE_WORD = (upper: string, lower: string) =>
  `[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]${upper}[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]${lower}(?i:'s|'t|'re|'ve|'m|'ll|'d)?`;
const O200K_SPLIT = `${CASE_WORD('*', '+')}|${CASE_WORD('+', '*')}|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`;

/** tokenizer.ggml.pre -> the tokenizer.json pre_tokenizer it stands for. */
export const GPT2_PRE_TOKENIZERS: Record<string, Json> = {
  // GPT-2, OPT: the ByteLevel regex alone
  'gpt-2': BYTE_LEVEL,
  // SmolLM: single digits, then the ByteLevel regex
  smollm: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, BYTE_LEVEL] },
  // LLaMA 3: its own split regex, then byte-level mapping without GPT-2's regex
  'llama-bpe': {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
      { ...BYTE_LEVEL, use_regex: false },
    ],
  },
  // Qwen2, Qwen2.5, Qwen3: the same with single digits
  qwen2: {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: QWEN2_SPLIT }, behavior: 'Isolated', invert: false },
      { ...BYTE_LEVEL, trim_offsets: false, use_regex: false },
    ],
  },
  // GPT-4o's o200k (Phi-4-mini): llama.cpp runs the same split with ASCII case classes (GPT4O_NOTE)
  'gpt-4o': {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: O200K_SPLIT }, behavior: 'Isolated', invert: false },
      { ...BYTE_LEVEL, use_regex: false },
    ],
  },
};

const GPT4O_NOTE =
  'llama.cpp\'s "gpt-4o" pre-tokenizer tells upper from lower case in ASCII only: text with non-ASCII letters may split differently than the tokenizer.json does';

/** A canonical description of a pre_tokenizer: the fields that change how text is split. */
export function describePreTokenizer(p: unknown): string {
  if (p === null || p === undefined) return 'none';
  const o = p as Json;
  switch (o.type) {
    case 'ByteLevel':
      return `ByteLevel(add_prefix_space=${JSON.stringify(o.add_prefix_space ?? true)}, use_regex=${JSON.stringify(o.use_regex ?? true)})`;
    case 'Digits':
      return `Digits(individual=${JSON.stringify(o.individual_digits ?? false)})`;
    case 'Split': {
      const pat = (o.pattern ?? {}) as Json;
      return `Split(${JSON.stringify(pat.Regex ?? pat.String)}, ${String(o.behavior)}, invert=${JSON.stringify(o.invert ?? false)})`;
    }
    case 'Sequence':
      return `Sequence[${(Array.isArray(o.pretokenizers) ? o.pretokenizers : []).map(describePreTokenizer).join(', ')}]`;
    default:
      return String(o.type);
  }
}

/** The llama.cpp pre-tokenizer name of a tokenizer.json pre_tokenizer, or null when none matches exactly. */
export function ggufPreName(preTokenizer: unknown): string | null {
  const key = describePreTokenizer(preTokenizer);
  for (const [name, p] of Object.entries(GPT2_PRE_TOKENIZERS)) if (describePreTokenizer(p) === key) return name;
  return null;
}

export interface Gpt2Vocab {
  tokens: string[];
  types: number[];
  merges: string[];
  pre: string;
  /** What llama.cpp's tokenization leaves out of the source's (Qwen's NFC, GPT-4o's non-ASCII case), for the export's notes. */
  note?: string;
}

const looksSpecial = (t: string) => ['<pad>', '<mask>'].includes(t) || (t.startsWith('<|') && t.endsWith('|>'));

/** A byte-level BPE tokenizer.json as llama.cpp's gpt2 vocabulary of `vocabSize` rows, or why it cannot be one. */
export function gpt2VocabFromTokenizerJson(json: unknown, vocabSize: number): Gpt2Vocab | { reason: string } {
  const j = (json ?? {}) as Json;
  const model = (j.model ?? {}) as Json;
  if ((model.type ?? 'BPE') !== 'BPE') return { reason: `the tokenizer is a ${String(model.type)} model, not BPE` };
  if (model.byte_fallback === true)
    return { reason: 'the tokenizer is a SentencePiece-style BPE (byte fallback) given as tokenizer.json, which is not converted to a GGUF vocabulary' };
  const pre = ggufPreName(j.pre_tokenizer);
  if (!pre) {
    return {
      reason:
        `the tokenizer's pre-tokenizer (${describePreTokenizer(j.pre_tokenizer)}) is not one whose llama.cpp pre-tokenizer type is known to split text the same way ` +
        `(${Object.keys(GPT2_PRE_TOKENIZERS).join(', ')})`,
    };
  }
  // Qwen's tokenizer.json composes text to NFC first; llama.cpp's "qwen2" type does not (as with
  // every Qwen GGUF convert_hf_to_gguf.py writes): the same ids for text already in NFC.
  const nfc = (j.normalizer as Json | null | undefined)?.type === 'NFC' && pre === 'qwen2';
  if (j.normalizer !== null && j.normalizer !== undefined && !nfc)
    return { reason: 'the byte-level tokenizer has a normalizer, which llama.cpp\'s "gpt2" vocabulary cannot express' };
  const vocab = model.vocab as Record<string, number>;
  const byId = new Map<number, { text: string; type: number }>();
  for (const [piece, id] of Object.entries(vocab)) byId.set(id, { text: piece, type: GGUF_TOKEN_TYPE.normal });
  for (const a of (Array.isArray(j.added_tokens) ? j.added_tokens : []) as { id: number; content: string; special?: boolean }[]) {
    byId.set(a.id, { text: a.content, type: a.special || looksSpecial(a.content) ? GGUF_TOKEN_TYPE.control : GGUF_TOKEN_TYPE.user });
  }
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < vocabSize; i++) {
    const t = byId.get(i);
    tokens.push(t ? t.text : `[PAD${i}]`);
    types.push(t ? t.type : GGUF_TOKEN_TYPE.unused);
  }
  const merges = ((model.merges ?? []) as (string | [string, string])[]).map((m) => (typeof m === 'string' ? m : m.join(' ')));
  return {
    tokens,
    types,
    merges,
    pre,
    ...(nfc ? { note: 'llama.cpp does not compose text to NFC first, as the tokenizer.json does: text not in NFC tokenizes differently' } : {}),
    ...(pre === 'gpt-4o' ? { note: GPT4O_NOTE } : {}),
  };
}

/** A GGUF gpt2 vocabulary back as a byte-level BPE tokenizer.json (for @huggingface/tokenizers). */
export function tokenizerJsonFromGpt2(v: Gpt2Vocab, file: string): Json {
  const preTokenizer = GPT2_PRE_TOKENIZERS[v.pre];
  if (!preTokenizer) {
    throw new FormatError(
      file,
      `has tokenizer.ggml.pre ${JSON.stringify(v.pre)}, a pre-tokenizer this studio does not reproduce`,
      `Supported gpt2 pre-tokenizers: ${Object.keys(GPT2_PRE_TOKENIZERS).join(', ')}; or load the model from its Hugging Face repo (tokenizer.json)`,
    );
  }
  const vocab: Record<string, number> = {};
  const added: Json[] = [];
  v.tokens.forEach((t, id) => {
    if (v.types[id] === GGUF_TOKEN_TYPE.unused && /^\[PAD\d+\]$/.test(t)) return;
    vocab[t] = id;
    if (v.types[id] === GGUF_TOKEN_TYPE.control || v.types[id] === GGUF_TOKEN_TYPE.user) {
      added.push(addedToken(id, t, v.types[id] === GGUF_TOKEN_TYPE.control));
    }
  });
  return byteLevelBpeJson({ vocab, merges: v.merges, added, preTokenizer, ignoreMerges: v.pre === 'llama-bpe' });
}
