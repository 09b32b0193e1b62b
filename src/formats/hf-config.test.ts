import { describe, expect, it } from 'vitest';
import { parseHfConfig, toHfLlamaConfig } from './hf-config';
import { FormatError } from './errors';

const llama = (o: Record<string, unknown>) => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 96,
  vocab_size: 100,
  rope_theta: 500000,
  ...o,
});

describe('config.json rope_scaling', () => {
  it("reads LLaMA 3.1/3.2's llama3 scaling and writes it back into exported configs", () => {
    const rope_scaling = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const cfg = parseHfConfig(llama({ rope_scaling }));
    expect(cfg.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(toHfLlamaConfig(cfg).rope_scaling).toEqual(rope_scaling);
  });
  it("reads 'linear' (old transformers spell it type) and treats null or 'default' as none", () => {
    expect(parseHfConfig(llama({ rope_scaling: { type: 'linear', factor: 2 } })).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(parseHfConfig(llama({ rope_scaling: null })).ropeScaling).toBeUndefined();
    expect(parseHfConfig(llama({ rope_scaling: { rope_type: 'default' } })).ropeScaling).toBeUndefined();
    expect(toHfLlamaConfig(parseHfConfig(llama({}))).rope_scaling).toBeNull();
  });
  it('refuses kinds it does not implement and malformed factors, saying what was wrong', () => {
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'yarn', factor: 4 } }))).toThrow(/rope_scaling "yarn".*'linear' and 'llama3'/);
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }))).toThrow(FormatError);
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }))).toThrow(
      /original_max_position_embeddings is undefined/,
    );
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'linear', factor: -1 } }))).toThrow(/factor is -1/);
  });
});
