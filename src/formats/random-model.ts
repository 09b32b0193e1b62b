// Randomly initialised models with the shapes of real checkpoints (SmolLM2-135M, Qwen2.5-0.5B, Qwen3-0.6B,
// LLaMA-3.2-1B, Phi-4-mini) and
// tiny test shapes: config.json as transformers writes it, seeded N(0, 0.02) weights, and a
// byte-level tokenizer.json. For scale tests and benchmarks: the numbers say nothing about quality.
import type { LoadedModel, WeightSource } from '../core/model-config';
import { parseHfConfig, expectedShapes } from './hf-config';
import { byteLevelTokenizerJson } from './byte-level-bpe';
import { HfTokenizer } from './hf-tokenizer';

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
  'qwen3-0.6b': {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    hidden_act: 'silu',
    hidden_size: 1024,
    head_dim: 128,
    num_hidden_layers: 28,
    num_attention_heads: 16,
    num_key_value_heads: 8,
    intermediate_size: 3072,
    vocab_size: 151936,
    tie_word_embeddings: true,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 40960,
    attention_bias: false,
    use_sliding_window: false,
    bos_token_id: 151643,
    eos_token_id: 151645,
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
  // Phi-4-mini-instruct: partial rotary (96 of 128 dims), LongRoPE (factors here a smooth ramp, not
  // the released ones), a 200,064 vocabulary, tied
  'phi4-mini': {
    architectures: ['Phi3ForCausalLM'],
    model_type: 'phi3',
    hidden_act: 'silu',
    hidden_size: 3072,
    num_hidden_layers: 32,
    num_attention_heads: 24,
    num_key_value_heads: 8,
    intermediate_size: 8192,
    vocab_size: 200064,
    tie_word_embeddings: true,
    partial_rotary_factor: 0.75,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 131072,
    original_max_position_embeddings: 4096,
    rope_scaling: {
      type: 'longrope',
      short_factor: Array.from({ length: 48 }, (_, i) => 1 + i / 16),
      long_factor: Array.from({ length: 48 }, (_, i) => 1 + i),
    },
    sliding_window: 262144,
    bos_token_id: 199999,
    eos_token_id: 199999,
    torch_dtype: 'float32',
  },
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

// Qwen3: q/k RMSNorm per head, head_dim (16) apart from hidden / heads (8), GQA, tied head
RANDOM_SHAPES['tiny-qwen3'] = {
  ...RANDOM_SHAPES['tiny-qwen2'],
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  head_dim: 16,
  attention_bias: false,
  use_sliding_window: false,
};

// SmolLM3's kind: the last of every four layers without RoPE (here layer 3 of 4)
RANDOM_SHAPES['tiny-smollm3'] = {
  ...RANDOM_SHAPES['tiny-llama'],
  architectures: ['SmolLM3ForCausalLM'],
  model_type: 'smollm3',
  num_hidden_layers: 4,
  no_rope_layers: [1, 1, 1, 0],
  tie_word_embeddings: true,
};

// granite-3b-code's kind: a LLaMA with biases on every Linear (attention_bias, mlp_bias), one KV head
// per head so that TEQ's and AWQ's v -> o scale applies (through v's bias)
RANDOM_SHAPES['tiny-granite-code'] = { ...RANDOM_SHAPES['tiny-llama'], num_key_value_heads: 4, attention_bias: true, mlp_bias: true };

// opt-350m's kind: post-norm blocks, an embedding half as wide as the blocks (project_in / project_out)
RANDOM_SHAPES['tiny-opt-350m'] = { ...RANDOM_SHAPES['tiny-opt'], do_layer_norm_before: false, word_embed_proj_dim: 16 };

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

/** A tensor's draw: its size, the generator's state before its first value, offset and scale. */
export interface RandomDraw {
  n: number;
  state: number;
  offset: number;
  scale: number;
}

/** Deterministic per-tensor values: norms near 1, everything else N(0, 0.02). */
export function randomDraw(name: string, shape: number[], seed: number): RandomDraw {
  const isNormWeight = /norm\.weight$|layernorm\.weight$|layer_norm\.weight$/.test(name);
  return { n: shape.reduce((a, b) => a * b, 1), state: (hashName(name) ^ seed) >>> 0, offset: isNormWeight ? 1 : 0, scale: isNormWeight ? 0.1 : 0.02 };
}

/**
 * Values [2·p0, 2·p1) of a draw into out: mulberry32 draws in pairs, Box-Muller (cos, sin), each
 * normal rounded to f32, then offset + scale·x rounded again. The generator's state moves by a
 * constant per draw, so any range of pairs can be drawn on its own (in parallel: src/cli).
 * Self-contained (no outside names): the CLI runs its source in worker threads. One fused pass with
 * the generator inlined; bit-identical to the two-pass form it replaced (test).
 */
export function fillRandomPairs(out: Float32Array, n: number, state: number, offset: number, scale: number, p0: number, p1: number): void {
  const fround = Math.fround;
  // mulberry32 (src/reference/rng.ts), inlined: a closure call per draw costs a third of the loop
  let a = (state + Math.imul(2 * p0, 0x6d2b79f5)) >>> 0;
  for (let p = p0; p < p1; p++) {
    const i = 2 * p;
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = Math.max(((t ^ (t >>> 14)) >>> 0) / 4294967296, 1e-12);
    a = (a + 0x6d2b79f5) >>> 0;
    t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const v = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = offset + scale * fround(m * Math.cos(2 * Math.PI * v));
    if (i + 1 < n) out[i + 1] = offset + scale * fround(m * Math.sin(2 * Math.PI * v));
  }
}

export function randomTensor(name: string, shape: number[], seed: number): Float32Array {
  const d = randomDraw(name, shape, seed);
  const out = new Float32Array(d.n);
  fillRandomPairs(out, d.n, d.state, d.offset, d.scale, 0, Math.ceil(d.n / 2));
  return out;
}

export interface RandomModelOptions {
  /**
   * Keep every generated tensor and hand out copies: each tensor is drawn once per process
   * instead of at every load (a TesseraQ run at the 1B shape loads each block 3-4 times and the
   * draws took longer than the GPU work). Costs the model's f32 size in host memory: for the CLI.
   */
  keep?: boolean;
  /** Draws one tensor (default randomTensor; the CLI's draws in worker threads). */
  draw?: (name: string, shape: number[], seed: number) => Float32Array | Promise<Float32Array>;
}

export function randomModel(shapeName: string, seed = 0, opts: RandomModelOptions = {}): LoadedModel & { configJson: Json; tokenizerJson: Json } {
  const configJson = RANDOM_SHAPES[shapeName];
  if (!configJson) throw new Error(`unknown random shape ${shapeName}; have ${Object.keys(RANDOM_SHAPES).join(', ')}`);
  const config = parseHfConfig(configJson, 'config.json', `random:${shapeName}`);
  const shapes = expectedShapes(config);
  const kept = opts.keep ? new Map<string, Float32Array>() : null;
  const weights: WeightSource = {
    config,
    shapes,
    get: async (name) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`no tensor ${name}`);
      const embed = config.arch === 'opt' ? 'model.decoder.embed_tokens.weight' : 'model.embed_tokens.weight';
      const drawn = name === 'lm_head.weight' && config.tiedEmbeddings ? embed : name;
      const draw = opts.draw ?? randomTensor;
      if (!kept) return draw(drawn, shape, seed);
      let t = kept.get(drawn);
      if (!t) kept.set(drawn, (t = await draw(drawn, shape, seed)));
      return t.slice(); // a copy (and an ordinary ArrayBuffer): callers may scale or clip what they get
    },
  };
  const tokenizerJson = randomTokenizerJson(config.vocab);
  const tokenizer = new HfTokenizer(tokenizerJson, {}, { bosId: 256, eosId: 257 });
  return { weights, tokenizer, source: `random:${shapeName}`, configJson, tokenizerJson };
}
