import { describe, expect, it } from 'vitest';
import { exportedTokenizerConfig } from './hf-files';

describe("the exported folders' tokenizer_config.json", () => {
  it("drops an add_prefix_space of null (transformers 5's GPT2Tokenizer refuses it) and keeps everything else as the source had it", () => {
    const source = { add_prefix_space: null, tokenizer_class: 'GPT2Tokenizer', bos_token: '<|end_of_text|>' };
    expect(exportedTokenizerConfig(source)).toEqual({ tokenizer_class: 'GPT2Tokenizer', bos_token: '<|end_of_text|>' });
    const kept = { add_prefix_space: false, tokenizer_class: 'GPT2Tokenizer' };
    expect(exportedTokenizerConfig(kept)).toBe(kept);
    expect(exportedTokenizerConfig({ tokenizer_class: 'LlamaTokenizer' })).toEqual({ tokenizer_class: 'LlamaTokenizer' });
  });
});
