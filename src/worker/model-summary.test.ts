import { describe, expect, it } from 'vitest';
import { parseHfConfig, expectedShapes } from '../formats/hf-config';
import type { LoadedModel } from '../core/model-config';
import { summarizeModel } from './model-summary';

// A tiny pre-norm OPT: vocab 50, hidden 8, ffn 16, 2 layers, 34 positions (+2 offset rows).
function optModel(tied: boolean): LoadedModel {
  const config = parseHfConfig({
    architectures: ['OPTForCausalLM'],
    model_type: 'opt',
    vocab_size: 50,
    hidden_size: 8,
    word_embed_proj_dim: 8,
    ffn_dim: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    max_position_embeddings: 34,
    do_layer_norm_before: true,
    activation_function: 'relu',
    tie_word_embeddings: tied,
    enable_bias: true,
    layer_norm_elementwise_affine: true,
  });
  const weights = { config, shapes: expectedShapes(config), get: () => Promise.reject(new Error('not read')) };
  return { weights, tokenizer: undefined as never, source: 'local:opt-tiny#0' };
}

describe('summarizeModel', () => {
  // Counted by hand: embeddings 50*8 + positions 36*8; per layer q,k,v,o 4*(8*8+8), fc1 16*8+16,
  // fc2 8*16+8, two LayerNorms 2*(8+8); final LayerNorm 8+8; the LM head 50*8 only when untied.
  const perLayer = 4 * (64 + 8) + (128 + 16) + (128 + 8) + 2 * 16;
  const shared = 50 * 8 + 36 * 8 + perLayer * 2 + 16;

  it('counts a tied LM head once (it is the embedding)', () => {
    expect(summarizeModel(optModel(true)).parameters).toBe(shared);
  });

  it('counts an untied LM head as its own matrix', () => {
    expect(summarizeModel(optModel(false)).parameters).toBe(shared + 50 * 8);
  });
});
