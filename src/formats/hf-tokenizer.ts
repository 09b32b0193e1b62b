// tokenizer.json through @huggingface/tokenizers, wrapped as the engine's Tokenizer.
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import type { Tokenizer } from '../core/model-config';
import { FormatError } from './errors';
import { validateTokenizerJson } from './tokenizer-json';

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly impl: HfTokenizerImpl;
  private readonly cleanUpSpaces: boolean;
  private readonly cuttable: boolean;

  constructor(
    /** Kept so exporters can write the same tokenizer back out. */
    readonly tokenizerJson: unknown,
    readonly tokenizerConfig: unknown = {},
    ids: { bosId?: number; eosId?: number } = {},
    file = 'tokenizer.json',
  ) {
    const cfg = (tokenizerConfig && typeof tokenizerConfig === 'object' ? tokenizerConfig : {}) as Record<string, unknown>;
    validateTokenizerJson(tokenizerJson, file);
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson as object, cfg);
    } catch (e) {
      throw new FormatError(file, `could not be read by @huggingface/tokenizers (${(e as Error).message})`, 'Use the tokenizer.json from the model repo');
    }
    let maxId = -1;
    for (const id of this.impl.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const tokenId = (v: unknown): number | undefined => {
      const s = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as { content?: unknown }).content : undefined;
      return typeof s === 'string' ? this.impl.token_to_id(s) : undefined;
    };
    this.bosId = ids.bosId ?? tokenId(cfg.bos_token) ?? -1;
    this.eosId = ids.eosId ?? tokenId(cfg.eos_token) ?? -1;
    this.cleanUpSpaces = cfg.clean_up_tokenization_spaces === true;
    this.cuttable = cuttableTokenizer(tokenizerJson, cfg);
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.impl.encode(text, { add_special_tokens: false }).ids;
  }

  encodeContinuation(text: string): number[] {
    return this.encode(text);
  }

  /**
   * Byte-level BPE with a known pre-tokenizer regex (GPT-2, Llama 3, Qwen2) splits the text before
   * a letter that follows a newline that follows a non-space, and nothing crosses that point (see
   * cuttableTokenizer); any other tokenizer.json is encoded in one piece (text.length).
   */
  cutAtOrAfter(text: string, from: number): number {
    if (!this.cuttable) return text.length;
    for (let nl = text.indexOf('\n', Math.max(1, from - 1)); nl >= 0 && nl + 1 < text.length; nl = text.indexOf('\n', nl + 1)) {
      const i = nl + 1;
      if (i >= from && nl >= 1 && !/\s/u.test(text[nl - 1]) && LETTER.test(String.fromCodePoint(text.codePointAt(i)!))) return i;
    }
    return text.length;
  }

  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id) ?? undefined;
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    return this.impl.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: this.cleanUpSpaces });
  }
}

const LETTER = /^\p{L}$/u;

/** The pre-tokenizer regexes of Llama 3 and Qwen2 (tokenizer.json's Split), as their repos write them. */
const KNOWN_SPLIT_REGEXES = [
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
];

/**
 * Whether cutting before a letter that follows "\n" that follows a non-space leaves every id as it
 * is. True only for what was checked: no normalizer (or NFC, which cannot join across "\n"), a BPE
 * model without dropout, no added token that holds a newline or strips the whitespace beside it,
 * and pre-tokenizers ByteLevel (GPT-2's regex, no prefix space), Digits, and Split with Llama 3's or
 * Qwen2's regex. In all of these regexes the newline ends the piece before it (punctuation may take
 * it along), no piece starts with a newline before a letter, and a lone newline at the end of a text
 * is the same piece it is before a letter.
 */
function cuttableTokenizer(json: unknown, cfg: Record<string, unknown>): boolean {
  const j = json as Record<string, any>;
  if (cfg.remove_space === true || cfg.do_lowercase_and_remove_accent === true) return false;
  if (j.normalizer != null && j.normalizer.type !== 'NFC') return false;
  if (j.model?.type !== 'BPE' || (j.model.dropout != null && j.model.dropout !== 0)) return false;
  const added = Array.isArray(j.added_tokens) ? (j.added_tokens as Record<string, unknown>[]) : [];
  if (added.some((t) => typeof t.content !== 'string' || /[\r\n]/.test(t.content) || t.lstrip === true || t.rstrip === true)) return false;
  const byteLevel = (p: Record<string, any> | undefined, regex: boolean) =>
    p?.type === 'ByteLevel' && p.add_prefix_space !== true && (!regex || p.use_regex !== false);
  const knownSplit = (p: Record<string, any> | undefined) =>
    p?.type === 'Split' && KNOWN_SPLIT_REGEXES.includes(p.pattern?.Regex) && p.behavior === 'Isolated' && p.invert === false;
  const pre = j.pre_tokenizer as Record<string, any> | null | undefined;
  // GPT-2: ByteLevel with its regex. Llama 3, Qwen2: Split then ByteLevel. SmolLM: Digits then ByteLevel with its regex.
  if (pre?.type !== 'Sequence') return byteLevel(pre ?? undefined, true);
  const seq = Array.isArray(pre.pretokenizers) ? (pre.pretokenizers as Record<string, any>[]) : [];
  if (seq.length !== 2) return false;
  return (knownSplit(seq[0]) && byteLevel(seq[1], false)) || (seq[0]?.type === 'Digits' && byteLevel(seq[1], true));
}
