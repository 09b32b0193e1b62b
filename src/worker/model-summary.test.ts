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

describe('the Model card says how a model is built', () => {
  const summary = (json: Record<string, unknown>) => {
    const config = parseHfConfig(json);
    return summarizeModel({
      weights: { config, shapes: expectedShapes(config), get: () => Promise.reject(new Error('not read')) },
      tokenizer: undefined as never,
      source: 'local:x#0',
    });
  };
  const opt = {
    architectures: ['OPTForCausalLM'],
    vocab_size: 50,
    hidden_size: 16,
    ffn_dim: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    max_position_embeddings: 34,
  };

  const llamaShape = { vocab_size: 50, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 1, num_attention_heads: 4 };

  it("a head's width as the config gives it, and Qwen3's per-head norms", () => {
    const q = summary({ ...llamaShape, architectures: ['Qwen3ForCausalLM'], head_dim: 32, num_key_value_heads: 2 });
    expect(q.headDim).toBe(32); // not 64 / 4
    expect(q.structure).toEqual(['q and k RMS-normalised per head before RoPE']);
  });
  it("post-norm OPT: which scales TEQ and AWQ can fold, and the embedding's projection", () => {
    expect(summary({ ...opt, do_layer_norm_before: false, word_embed_proj_dim: 8 }).structure).toEqual([
      'post-norm blocks: TEQ and AWQ scale v→out_proj and fc1→fc2 only (no norm to fold a scale into)',
      "embedding 8 wide, projected to the blocks' 16 and back",
    ]);
    expect(summary(opt).structure).toEqual([]);
  });
  it('Granite: its multipliers, folded into the weights, and the architecture its exports are', () => {
    const g = summary({
      ...llamaShape,
      architectures: ['GraniteForCausalLM'],
      embedding_multiplier: 12,
      residual_multiplier: 0.22,
      attention_multiplier: 0.015625,
      logits_scaling: 8,
    });
    expect([g.arch, g.sourceArchitecture]).toEqual(['llama', 'GraniteForCausalLM']);
    expect(g.structure).toEqual([
      "Granite's multipliers (embedding 12, residual 0.22, attention 0.015625, logits ÷8) folded into the weights on load; its exports are the same model as LlamaForCausalLM",
    ]);
  });
  it("Phi-3.5's LongRoPE: the short factors' length as the context, the attention factor folded", () => {
    const rope_scaling = { type: 'longrope', short_factor: new Array(8).fill(1.5), long_factor: new Array(8).fill(4) };
    const lengths = { max_position_embeddings: 131072, original_max_position_embeddings: 4096 };
    const p = summary({ ...llamaShape, ...lengths, architectures: ['Phi3ForCausalLM'], rope_scaling });
    expect(p.maxPositions).toBe(4096);
    expect(p.structure).toContain(
      'RoPE scaling: longrope, its short factors (runs up to 4096 tokens); its attention factor 1.19024 folded into q_proj and k_proj on load',
    );
  });
  it("Phi-4-mini's partial rotary: how many dims RoPE turns", () => {
    const headDim = (llamaShape.hidden_size as number) / (llamaShape.num_attention_heads as number);
    const p = summary({ ...llamaShape, architectures: ['Phi3ForCausalLM'], partial_rotary_factor: 0.5 });
    expect(p.structure).toContain(`RoPE on ${headDim / 2} of each head's ${headDim} dimensions (partial rotary; the rest pass through)`);
  });
  it('YaRN: the attention factor folded (into the q/k norms for Qwen3); dynamic NTK: its original length as the context', () => {
    const llama = { ...llamaShape, architectures: ['LlamaForCausalLM'] };
    const rope_scaling = { type: 'yarn', factor: 4, original_max_position_embeddings: 32768 };
    const yarn = summary({ ...llama, max_position_embeddings: 131072, rope_scaling });
    expect(yarn.maxPositions).toBe(131072);
    // 0.1 ln 4 + 1 = 1.138629
    expect(yarn.structure).toContain('RoPE scaling: yarn, factor 4 over 32768 positions; its attention factor 1.13863 folded into q_proj and k_proj on load');
    const qwen3 = summary({ ...llamaShape, architectures: ['Qwen3ForCausalLM'], head_dim: 32, num_key_value_heads: 2, rope_scaling });
    expect(qwen3.structure).toContain('RoPE scaling: yarn, factor 4 over 32768 positions; its attention factor 1.13863 folded into the q and k norms on load');
    const dynamic = summary({ ...llama, max_position_embeddings: 8192, rope_scaling: { type: 'dynamic', factor: 2, original_max_position_embeddings: 4096 } });
    expect(dynamic.maxPositions).toBe(4096);
    expect(dynamic.structure).toContain('RoPE scaling: dynamic NTK (factor 2), unscaled up to 4096 tokens, the runs the studio computes');
  });
  it('a GGUF stored quantized: the card says its baseline is that quantized model', () => {
    const m = optModel(true);
    m.weights.config.storedQuantization = ['Q4_K', 'Q6_K'];
    expect(summarizeModel(m).structure).toEqual([
      'weights stored quantized in the file (Q4_K, Q6_K), dequantized on load: the "fp" baseline is that quantized model, not the original; an f16 GGUF or the safetensors give the original',
    ]);
  });
});
