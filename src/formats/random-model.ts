// Randomly initialised models with the shapes of real checkpoints (SmolLM2-135M, Qwen2.5-0.5B) and
// tiny test shapes: config.json as transformers writes it, seeded N(0, 0.02) weights, and a
// byte-level tokenizer.json. For scale tests and benchmarks: the numbers say nothing about quality.
import type { LoadedModel, WeightSource } from '../core/model-config';
import { parseHfConfig, expectedShapes } from './hf-config';
import { byteLevelTokenizerJson } from './byte-level-bpe';
import { HfTokenizer } from './hf-tokenizer';
import { mulberry32 } from '../reference/rng';

type Json = Record<string, unknown>;

const llama = (o: Json): Json => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 2048,
  bos_token_id: 1,
  eos_token_id: 2,
  attention_bias: false,
  mlp_bias: false,
  torch_dtype: 'float32',
  ...o,
});

export const RANDOM_SHAPES: Record<string, Json> = {
  'smollm2-135m': llama({
    hidden_size: 576,
    num_hidden_layers: 30,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    intermediate_size: 1536,
    vocab_size: 49152,
    tie_word_embeddings: true,
    rope_theta: 100000,
    max_position_embeddings: 8192,
  }),
  'qwen2.5-0.5b': {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_act: 'silu',
    hidden_size: 896,
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
    intermediate_size: 4864,
    vocab_size: 151936,
    tie_word_embeddings: true,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 32768,
    bos_token_id: 151643,
    eos_token_id: 151643,
    torch_dtype: 'float32',
  },
  'llama3.2-1b': llama({
    hidden_size: 2048,
    num_hidden_layers: 16,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    head_dim: 64,
    intermediate_size: 8192,
    vocab_size: 128256,
    tie_word_embeddings: true,
    rope_theta: 500000,
    max_position_embeddings: 131072,
    bos_token_id: 128000,
    eos_token_id: 128001,
    rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
  }),
  // LLaMA 3's RoPE scaling with a short original context, so 9 positions reach all three bands
  'tiny-llama3': llama({
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 48,
    vocab_size: 300,
    tie_word_embeddings: true,
    rope_theta: 100,
    rope_scaling: { rope_type: 'llama3', factor: 4, low_freq_factor: 0.5, high_freq_factor: 2, original_max_position_embeddings: 16 },
  }),
  'tiny-llama': llama({
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 48,
    vocab_size: 300,
    tie_word_embeddings: false,
  }),
  'tiny-qwen2': {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_act: 'silu',
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    intermediate_size: 40,
    vocab_size: 300,
    tie_word_embeddings: true,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 512,
    bos_token_id: 256,
    eos_token_id: 257,
    torch_dtype: 'float32',
  },
  'tiny-opt': {
    architectures: ['OPTForCausalLM'],
    model_type: 'opt',
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    ffn_dim: 64,
    vocab_size: 300,
    max_position_embeddings: 512,
    do_layer_norm_before: true,
    word_embed_proj_dim: 32,
    activation_function: 'relu',
    enable_bias: true,
    layer_norm_elementwise_affine: true,
    tie_word_embeddings: true,
    bos_token_id: 2,
    eos_token_id: 2,
    pad_token_id: 1,
    torch_dtype: 'float32',
  },
};

/** GPT-2's byte-to-unicode table: every byte gets a printable character. */
function bytesToUnicode(): string[] {
  const keep = new Set<number>();
  for (let b = 33; b <= 126; b++) keep.add(b);
  for (let b = 161; b <= 172; b++) keep.add(b);
  for (let b = 174; b <= 255; b++) keep.add(b);
  const out: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(keep.has(b) ? b : 256 + extra++));
  return out;
}

/** A byte-level vocabulary of the model's size: the 256 bytes, <s>, </s>, then unused filler. */
export function randomTokenizerJson(vocab: number): Json {
  const v: Record<string, number> = {};
  bytesToUnicode().forEach((ch, i) => (v[ch] = i));
  v['<s>'] = 256;
  v['</s>'] = 257;
  for (let i = 258; i < vocab; i++) v[`<unused${i}>`] = i;
  return byteLevelTokenizerJson(v, '');
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Deterministic per-tensor values: norms near 1, everything else N(0, 0.02). */
export function randomTensor(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const r = mulberry32(hashName(name) ^ seed);
  const out = new Float32Array(n);
  const isNormWeight = /norm\.weight$|layernorm\.weight$|layer_norm\.weight$/.test(name);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12),
      v = r();
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  const scale = isNormWeight ? 0.1 : 0.02;
  for (let i = 0; i < n; i++) out[i] = (isNormWeight ? 1 : 0) + scale * out[i];
  return out;
}

export function randomModel(shapeName: string, seed = 0): LoadedModel & { configJson: Json; tokenizerJson: Json } {
  const configJson = RANDOM_SHAPES[shapeName];
  if (!configJson) throw new Error(`unknown random shape ${shapeName}; have ${Object.keys(RANDOM_SHAPES).join(', ')}`);
  const config = parseHfConfig(configJson, 'config.json', `random:${shapeName}`);
  const shapes = expectedShapes(config);
  const weights: WeightSource = {
    config,
    shapes,
    get: async (name) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`no tensor ${name}`);
      const embed = config.arch === 'opt' ? 'model.decoder.embed_tokens.weight' : 'model.embed_tokens.weight';
      return randomTensor(name === 'lm_head.weight' && config.tiedEmbeddings ? embed : name, shape, seed);
    },
  };
  const tokenizerJson = randomTokenizerJson(config.vocab);
  const tokenizer = new HfTokenizer(tokenizerJson, {}, { bosId: 256, eosId: 257 });
  return { weights, tokenizer, source: `random:${shapeName}`, configJson, tokenizerJson };
}
