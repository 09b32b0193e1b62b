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
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.impl.encode(text, { add_special_tokens: false }).ids;
  }

  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id) ?? undefined;
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return '';
    return this.impl.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: this.cleanUpSpaces });
  }
}
