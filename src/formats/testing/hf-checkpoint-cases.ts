// The checkpoint kinds a new user brings, as tiny random folders: each config.json has the keys
// (and key spellings) that release's transformers wrote for that model, with the dimensions cut
// down. 4.x configs carry torch_dtype, rope_theta and rope_scaling; 5.x configs dtype and
// rope_parameters. Dimensions are multiples of 32 so every export (GGUF's Q4_1 g32 too) applies.
import type { CheckpointCase } from './hf-checkpoint';

type Json = Record<string, unknown>;

const V = 320;
const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const ZEPHYR =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";
const LLAMA3_TEMPLATE =
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/** Ids of special tokens appended at the end of a V-sized vocabulary. */
const tail = (tokens: string[]) => Object.fromEntries(tokens.map((t, i) => [t, V - tokens.length + i]));

const LLAMA3_SPECIAL = ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eom_id|>', '<|eot_id|>'];
const L3 = tail(LLAMA3_SPECIAL);
const QWEN_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const Q = tail(QWEN_SPECIAL);
/** tokenizer_config.json of Qwen2.5 and Qwen3 (ChatML, no BOS). */
const QWEN_TOKENIZER_CONFIG: Json = {
  bos_token: null,
  eos_token: '<|im_end|>',
  pad_token: '<|endoftext|>',
  errors: 'replace',
  split_special_tokens: false,
  chat_template: CHATML,
  tokenizer_class: 'Qwen2Tokenizer',
};
const PHI3_SPECIAL = ['<|endoftext|>', '<|assistant|>', '<|end|>', '<|user|>'];
const P3 = tail(PHI3_SPECIAL);
const PHI3_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'user' %}{{'<|user|>' + '\n' + message['content'] + '<|end|>' + '\n' + '<|assistant|>' + '\n'}}{% elif message['role'] == 'assistant' %}{{message['content'] + '<|end|>' + '\n'}}{% endif %}{% endfor %}";
/** Phi-3-mini-4k-instruct's config.json as transformers 4.40 writes it, cut down. */
const phi3: Json = {
  architectures: ['Phi3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  embd_pdrop: 0.0,
  eos_token_id: P3['<|endoftext|>'],
  hidden_act: 'silu',
  hidden_size: 64,
  initializer_range: 0.02,
  intermediate_size: 96,
  max_position_embeddings: 4096,
  model_type: 'phi3',
  num_attention_heads: 4,
  num_hidden_layers: 2,
  num_key_value_heads: 4,
  original_max_position_embeddings: 4096,
  pad_token_id: P3['<|endoftext|>'],
  resid_pdrop: 0.0,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000.0,
  sliding_window: 2047,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.40.2',
  use_cache: true,
  vocab_size: V,
};
const PHI3_TOKENIZER: Pick<CheckpointCase, 'tokenizer' | 'addedTokens' | 'tokenizerConfig'> = {
  tokenizer: 'sentencepiece',
  addedTokens: PHI3_SPECIAL,
  tokenizerConfig: { bos_token: '<s>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', chat_template: PHI3_TEMPLATE, legacy: false },
};
const PHI4_SPECIAL = ['<|endoftext|>', '<|system|>', '<|user|>', '<|assistant|>', '<|end|>'];
const P4 = tail(PHI4_SPECIAL);
const PHI4_TEMPLATE =
  "{% for message in messages %}{{'<|' + message['role'] + '|>' + message['content'] + '<|end|>'}}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";
/** A config without some keys (a later release's spelling drops them). */
const withoutKeys = (c: Json, keys: string[]): Json => Object.fromEntries(Object.entries(c).filter(([k]) => !keys.includes(k)));
const SMOL_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const SMOLLM3_SPECIAL = ['<|begin_of_text|>', '<|end_of_text|>', '<|finetune_right_pad_id|>', '<|im_start|>', '<|im_end|>'];
const S3 = tail(SMOLLM3_SPECIAL);
const S = tail(SMOL_SPECIAL);
const GRANITE_SPECIAL = ['<|end_of_text|>', '<|start_of_role|>', '<|end_of_role|>', '<|tool_call|>'];
const G = tail(GRANITE_SPECIAL);
const GRANITE_TEMPLATE =
  "{%- for message in messages %}{{- '<|start_of_role|>' + message['role'] + '<|end_of_role|>' + message['content'] + '<|end_of_text|>\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_of_role|>assistant<|end_of_role|>' }}{%- endif %}";
/** granite-3.3-2b-instruct's config.json as transformers 4.x writes it, cut down: the four multipliers, a tied head. */
const granite: Json = {
  architectures: ['GraniteForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.1,
  attention_multiplier: 0.015625,
  bos_token_id: G['<|end_of_text|>'],
  embedding_multiplier: 12.0,
  eos_token_id: G['<|end_of_text|>'],
  hidden_act: 'silu',
  hidden_size: 64,
  initializer_range: 0.02,
  intermediate_size: 128,
  logits_scaling: 8.0,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'granite',
  num_attention_heads: 4,
  num_hidden_layers: 2,
  num_key_value_heads: 2,
  pad_token_id: G['<|end_of_text|>'],
  residual_multiplier: 0.22,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 10000000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.49.0',
  use_cache: true,
  vocab_size: V,
};
const GRANITE_TOKENIZER: Pick<CheckpointCase, 'tokenizer' | 'preTokenizer' | 'addedTokens' | 'tokenizerConfig'> = {
  tokenizer: 'byte-level',
  // StarCoder's pre-tokenizer (single digits, then ByteLevel), as SmolLM's
  preTokenizer: 'smollm',
  addedTokens: GRANITE_SPECIAL,
  tokenizerConfig: {
    bos_token: '<|end_of_text|>',
    eos_token: '<|end_of_text|>',
    pad_token: '<|end_of_text|>',
    unk_token: '<|end_of_text|>',
    chat_template: GRANITE_TEMPLATE,
    add_prefix_space: false,
    tokenizer_class: 'GPT2Tokenizer',
  },
};

const llama2: Json = {
  architectures: ['LlamaForCausalLM'],
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 64,
  initializer_range: 0.02,
  intermediate_size: 96,
  max_position_embeddings: 4096,
  model_type: 'llama',
  num_attention_heads: 4,
  num_hidden_layers: 2,
  num_key_value_heads: 4,
  pad_token_id: 0,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  tie_word_embeddings: false,
  torch_dtype: 'float16',
  transformers_version: '4.31.0.dev0',
  use_cache: true,
  vocab_size: V,
};

/** tokenizer_config.json of facebook/opt-*, as GPT2Tokenizer writes it. */
const OPT_TOKENIZER_CONFIG: Json = {
  add_prefix_space: false,
  bos_token: '</s>',
  eos_token: '</s>',
  pad_token: '<pad>',
  unk_token: '</s>',
  add_bos_token: true,
  errors: 'replace',
  tokenizer_class: 'GPT2Tokenizer',
};

export const CHECKPOINT_CASES: CheckpointCase[] = [
  {
    name: 'Llama-2-style',
    config: llama2,
    dtype: 'float16',
    shards: 2,
    tokenizer: 'sentencepiece',
    tokenizerConfig: { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', add_bos_token: true, legacy: false },
  },
  {
    name: 'TinyLlama-style',
    config: {
      ...llama2,
      attention_bias: false,
      attention_dropout: 0.0,
      num_key_value_heads: 1,
      rope_theta: 10000.0,
      pad_token_id: undefined,
      torch_dtype: 'bfloat16',
      transformers_version: '4.35.0',
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'sentencepiece',
    addedTokens: ['<|user|>', '<|assistant|>'],
    tokenizerConfig: { bos_token: '<s>', eos_token: '</s>', chat_template: ZEPHYR, legacy: false },
  },
  {
    name: 'Llama-3.1-style',
    config: {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: L3['<|begin_of_text|>'],
      eos_token_id: [L3['<|end_of_text|>'], L3['<|eom_id|>'], L3['<|eot_id|>']],
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 128,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      rope_theta: 500000.0,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
      transformers_version: '4.43.0.dev0',
      use_cache: true,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 3,
    tokenizer: 'byte-level',
    preTokenizer: 'llama-bpe',
    addedTokens: LLAMA3_SPECIAL,
    tokenizerConfig: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', chat_template: LLAMA3_TEMPLATE },
    generationConfig: {
      bos_token_id: L3['<|begin_of_text|>'],
      do_sample: true,
      eos_token_id: [L3['<|end_of_text|>'], L3['<|eom_id|>'], L3['<|eot_id|>']],
      temperature: 0.6,
      top_p: 0.9,
      transformers_version: '4.43.0.dev0',
    },
  },
  {
    // transformers 5 spelling: dtype and rope_parameters; head_dim given and != hidden / heads
    name: 'Llama-3.2-style-v5',
    config: {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: L3['<|begin_of_text|>'],
      dtype: 'bfloat16',
      eos_token_id: L3['<|end_of_text|>'],
      head_dim: 32,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 128,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 1,
      pad_token_id: null,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      // a short original context and low theta so the llama3 bands change the logits of 12 tokens
      rope_parameters: {
        factor: 32.0,
        high_freq_factor: 4.0,
        low_freq_factor: 1.0,
        original_max_position_embeddings: 16,
        rope_theta: 500.0,
        rope_type: 'llama3',
      },
      tie_word_embeddings: true,
      transformers_version: '5.0.0',
      use_cache: true,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 2,
    tokenizer: 'byte-level',
    preTokenizer: 'llama-bpe',
    addedTokens: LLAMA3_SPECIAL,
    tokenizerConfig: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', chat_template: LLAMA3_TEMPLATE },
  },
  {
    name: 'SmolLM2-style',
    config: {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: S['<|im_start|>'],
      eos_token_id: S['<|im_end|>'],
      head_dim: 16,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.041666666666666664,
      intermediate_size: 96,
      is_llama_config: true,
      max_position_embeddings: 8192,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      pad_token_id: S['<|im_end|>'],
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_interleaved: false,
      rope_scaling: null,
      rope_theta: 100000,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.42.3',
      use_cache: true,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'smollm',
    addedTokens: SMOL_SPECIAL,
    tokenizerConfig: {
      bos_token: '<|im_start|>',
      eos_token: '<|im_end|>',
      pad_token: '<|im_end|>',
      unk_token: '<|endoftext|>',
      chat_template: CHATML,
      vocab_size: V,
    },
  },
  {
    name: 'Mistral-7B-v0.1-style',
    config: {
      architectures: ['MistralForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 2,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 128,
      max_position_embeddings: 32768,
      model_type: 'mistral',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-5,
      rope_theta: 10000.0,
      sliding_window: 4096,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
      transformers_version: '4.34.0.dev0',
      use_cache: true,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 2,
    tokenizer: 'sentencepiece',
    tokenizerConfig: {
      bos_token: '<s>',
      eos_token: '</s>',
      legacy: false,
      chat_template:
        "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}",
    },
  },
  {
    // Mistral-Nemo's shape in miniature: head_dim (32) != hidden / heads (16), no window, transformers 5 keys
    name: 'Mistral-Nemo-style-v5',
    config: {
      architectures: ['MistralForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: 1,
      dtype: 'float32',
      eos_token_id: 2,
      head_dim: 32,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 96,
      max_position_embeddings: 1024000,
      model_type: 'mistral',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-5,
      rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' },
      sliding_window: null,
      tie_word_embeddings: false,
      transformers_version: '5.0.0',
      use_cache: true,
      vocab_size: V,
    },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'sentencepiece',
  },
  {
    name: 'Qwen2.5-style',
    config: {
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: Q['<|endoftext|>'],
      eos_token_id: Q['<|im_end|>'],
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 128,
      max_position_embeddings: 32768,
      max_window_layers: 21,
      model_type: 'qwen2',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 1000000.0,
      sliding_window: 32768,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.43.1',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'qwen2',
    addedTokens: QWEN_SPECIAL,
    tokenizerConfig: QWEN_TOKENIZER_CONFIG,
    generationConfig: {
      bos_token_id: Q['<|endoftext|>'],
      do_sample: true,
      eos_token_id: [Q['<|im_end|>'], Q['<|endoftext|>']],
      pad_token_id: Q['<|endoftext|>'],
      repetition_penalty: 1.1,
      temperature: 0.7,
      top_k: 20,
      top_p: 0.8,
      transformers_version: '4.37.0',
    },
    biasScale: 20,
  },
  {
    // Qwen2.5-7B's layout (untied head) as transformers 5 writes it: dtype, rope_parameters, layer_types
    name: 'Qwen2-untied-v5',
    config: {
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: Q['<|endoftext|>'],
      dtype: 'float16',
      eos_token_id: Q['<|endoftext|>'],
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 96,
      layer_types: ['full_attention', 'full_attention'],
      max_position_embeddings: 131072,
      max_window_layers: 28,
      model_type: 'qwen2',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-6,
      rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' },
      sliding_window: null,
      tie_word_embeddings: false,
      transformers_version: '5.0.0',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: V,
    },
    dtype: 'float16',
    shards: 2,
    tokenizer: 'byte-level',
    preTokenizer: 'qwen2',
    addedTokens: QWEN_SPECIAL,
    tokenizerConfig: { eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', chat_template: CHATML },
    biasScale: 20,
  },
  {
    // Qwen3-0.6B's layout as transformers 4.51 writes it: q_norm / k_norm, head_dim 2x hidden/heads, GQA, tied head
    name: 'Qwen3-0.6B-style',
    config: {
      architectures: ['Qwen3ForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: Q['<|endoftext|>'],
      eos_token_id: Q['<|im_end|>'],
      head_dim: 32,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 96,
      max_position_embeddings: 40960,
      max_window_layers: 28,
      model_type: 'qwen3',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 1000000,
      sliding_window: null,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.51.0',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'qwen2',
    addedTokens: QWEN_SPECIAL,
    tokenizerConfig: QWEN_TOKENIZER_CONFIG,
    generationConfig: {
      bos_token_id: Q['<|endoftext|>'],
      do_sample: true,
      eos_token_id: [Q['<|im_end|>'], Q['<|endoftext|>']],
      pad_token_id: Q['<|endoftext|>'],
      temperature: 0.6,
      top_k: 20,
      top_p: 0.95,
      transformers_version: '4.51.0',
    },
  },
  {
    // Qwen3-4B's layout (untied head) as transformers 5 writes it: dtype, rope_parameters, layer_types
    name: 'Qwen3-untied-v5',
    config: {
      architectures: ['Qwen3ForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: Q['<|endoftext|>'],
      dtype: 'float16',
      eos_token_id: Q['<|im_end|>'],
      head_dim: 16,
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 96,
      layer_types: ['full_attention', 'full_attention'],
      max_position_embeddings: 40960,
      max_window_layers: 36,
      model_type: 'qwen3',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      num_key_value_heads: 1,
      rms_norm_eps: 1e-6,
      rope_parameters: { rope_theta: 1000000.0, rope_type: 'default' },
      sliding_window: null,
      tie_word_embeddings: false,
      transformers_version: '5.0.0',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: V,
    },
    dtype: 'float16',
    shards: 2,
    tokenizer: 'byte-level',
    preTokenizer: 'qwen2',
    addedTokens: QWEN_SPECIAL,
    tokenizerConfig: { eos_token: '<|im_end|>', pad_token: '<|endoftext|>', chat_template: CHATML },
  },
  {
    // Phi-3-mini-4k-instruct's layout as transformers 4.40 writes it: q/k/v in one qkv_proj and
    // gate/up in one gate_up_proj, a 2047-token sliding window, untied head
    name: 'Phi-3-mini-4k-style',
    config: phi3,
    dtype: 'bfloat16',
    shards: 2,
    ...PHI3_TOKENIZER,
  },
  {
    // Phi-3.5-mini-instruct's layout as transformers 5 writes it: LongRoPE in rope_parameters with
    // original_max_position_embeddings moved in beside the factors (kept at the top level too),
    // max_position_embeddings 131072 against 4096, so attention_factor sqrt(1 + ln 32 / ln 4096) ≈ 1.19
    name: 'Phi-3.5-mini-longrope-style',
    config: {
      ...withoutKeys(phi3, ['rope_scaling', 'rope_theta', 'torch_dtype']),
      dtype: 'bfloat16',
      max_position_embeddings: 131072,
      rope_parameters: {
        rope_type: 'longrope',
        rope_theta: 10000.0,
        partial_rotary_factor: 1.0,
        original_max_position_embeddings: 4096,
        // head_dim 16: 8 factors each, the short ones growing as Phi-3.5's do
        short_factor: [1.0, 1.02, 1.05, 1.1, 1.3, 1.6, 2.0, 2.6],
        long_factor: [1.1, 1.4, 2.2, 4.5, 9.0, 16.0, 24.0, 32.0],
      },
      sliding_window: 262144,
      transformers_version: '5.0.0',
    },
    dtype: 'bfloat16',
    shards: 1,
    ...PHI3_TOKENIZER,
  },
  {
    // Phi-4-mini-instruct's layout as transformers 4.45 writes it: partial_rotary_factor 0.75 at the
    // top level (RoPE on 12 of each head's 16 dims here, 96 of 128 there) with LongRoPE factors for
    // those 12 (6 each), 4 heads over 2 KV heads, a tied head, GPT-style byte-level BPE with ChatML-like tokens
    name: 'Phi-4-mini-partial-rotary-style',
    config: {
      ...withoutKeys(phi3, ['rope_scaling', 'sliding_window']),
      bos_token_id: P4['<|endoftext|>'],
      eos_token_id: P4['<|endoftext|>'],
      pad_token_id: P4['<|endoftext|>'],
      full_attn_mod: 1,
      interpolate_factor: 1,
      lm_head_bias: false,
      max_position_embeddings: 131072,
      mlp_bias: false,
      num_key_value_heads: 2,
      partial_rotary_factor: 0.75,
      rope_scaling: {
        type: 'longrope',
        short_factor: [1.0, 1.05, 1.2, 1.5, 2.1, 3.0],
        long_factor: [1.1, 1.9, 4.0, 9.0, 18.0, 30.0],
      },
      sliding_window: 262144,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.45.0',
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'llama-bpe',
    addedTokens: PHI4_SPECIAL,
    tokenizerConfig: { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', chat_template: PHI4_TEMPLATE },
  },
  {
    // SmolLM3-3B's layout as transformers 4.54 writes it: every 4th layer without RoPE
    // (no_rope_layers 1,1,1,0), Llama 3's tokenizer with ChatML tokens, no BOS, tied head
    name: 'SmolLM3-style',
    config: {
      architectures: ['SmolLM3ForCausalLM'],
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: null,
      eos_token_id: S3['<|im_end|>'],
      hidden_act: 'silu',
      hidden_size: 64,
      initializer_range: 0.02,
      intermediate_size: 96,
      layer_types: ['full_attention', 'full_attention', 'full_attention', 'full_attention'],
      max_position_embeddings: 65536,
      max_window_layers: 28,
      mlp_bias: false,
      model_type: 'smollm3',
      no_rope_layer_interval: 4,
      no_rope_layers: [1, 1, 1, 0],
      num_attention_heads: 4,
      num_hidden_layers: 4,
      num_key_value_heads: 2,
      pad_token_id: S3['<|finetune_right_pad_id|>'],
      pretraining_tp: 2,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 5000000.0,
      sliding_window: null,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.54.0.dev0',
      use_cache: false,
      use_sliding_window: false,
      vocab_size: V,
    },
    dtype: 'bfloat16',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'llama-bpe',
    addedTokens: SMOLLM3_SPECIAL,
    tokenizerConfig: { bos_token: null, eos_token: '<|im_end|>', pad_token: '<|finetune_right_pad_id|>', chat_template: CHATML },
  },
  {
    // granite-3.3-2b-instruct's layout: LLaMA with embedding, residual, attention and logits multipliers, tied head
    name: 'Granite-3.3-2b-style',
    config: granite,
    dtype: 'bfloat16',
    shards: 2,
    ...GRANITE_TOKENIZER,
  },
  {
    // an untied Granite as transformers 5 writes it (dtype, rope_parameters), head_dim 32 so that q's
    // factor attention_multiplier * sqrt(head_dim) is no power of two
    name: 'Granite-untied-v5',
    config: {
      ...granite,
      attention_multiplier: 0.03125,
      dtype: 'float16',
      embedding_multiplier: 10.0,
      logits_scaling: 6.0,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      residual_multiplier: 0.3,
      rope_parameters: { rope_theta: 10000000.0, rope_type: 'default' },
      rope_scaling: undefined,
      rope_theta: undefined,
      tie_word_embeddings: false,
      torch_dtype: undefined,
      transformers_version: '5.0.0',
    },
    dtype: 'float16',
    shards: 1,
    ...GRANITE_TOKENIZER,
  },
  {
    name: 'OPT-125m-style',
    config: {
      _remove_final_layer_norm: false,
      activation_dropout: 0.0,
      activation_function: 'relu',
      architectures: ['OPTForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: 2,
      do_layer_norm_before: true,
      dropout: 0.1,
      enable_bias: true,
      eos_token_id: 2,
      ffn_dim: 128,
      hidden_size: 64,
      init_std: 0.02,
      layer_norm_elementwise_affine: true,
      layerdrop: 0.0,
      max_position_embeddings: 64,
      model_type: 'opt',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      pad_token_id: 1,
      prefix: '</s>',
      torch_dtype: 'float16',
      transformers_version: '4.46.0',
      use_cache: true,
      vocab_size: V,
      word_embed_proj_dim: 64,
    },
    dtype: 'float16',
    shards: 1,
    tokenizer: 'byte-level',
    // GPT2Tokenizer writes its add_prefix_space (false); transformers 5 refuses to load a null there
    tokenizerConfig: OPT_TOKENIZER_CONFIG,
    generationConfig: { _from_model_config: true, bos_token_id: 2, eos_token_id: 2, pad_token_id: 1, transformers_version: '4.46.0' },
  },
  {
    // opt-350m's config.json as its repo holds it (written by 4.20, before enable_bias and
    // layer_norm_elementwise_affine): post-norm, and a 512-wide embedding projected to the
    // 1024-wide blocks (here 32 and 64), no final norm, the head tied to the narrow embedding
    name: 'OPT-350m-style',
    config: {
      _name_or_path: 'opt-350m',
      activation_dropout: 0.0,
      activation_function: 'relu',
      architectures: ['OPTForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: 2,
      do_layer_norm_before: false,
      dropout: 0.1,
      eos_token_id: 2,
      ffn_dim: 128,
      hidden_size: 64,
      init_std: 0.02,
      layerdrop: 0.0,
      max_position_embeddings: 64,
      model_type: 'opt',
      num_attention_heads: 4,
      num_hidden_layers: 2,
      pad_token_id: 1,
      prefix: '</s>',
      torch_dtype: 'float16',
      transformers_version: '4.20.0.dev0',
      use_cache: true,
      vocab_size: V,
      word_embed_proj_dim: 32,
    },
    dtype: 'float16',
    shards: 1,
    tokenizer: 'byte-level',
    // GPT2Tokenizer writes its add_prefix_space (false); transformers 5 refuses to load a null there
    tokenizerConfig: OPT_TOKENIZER_CONFIG,
  },
  {
    // dynamic NTK as LLaMA-2 fine-tunes wrote it (transformers 4.3x): unscaled up to the 4096 positions
    name: 'Llama-dynamic-ntk',
    config: { ...llama2, rope_scaling: { type: 'dynamic', factor: 2.0 } },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'sentencepiece',
  },
  {
    // YaRN as transformers 5 writes it (rope_parameters; max_position_embeddings = factor x original):
    // head_dim 16 over an original 1024 positions blends frequencies 2-4 and divides 5-7 by 4; the
    // attention factor 0.1 ln 4 + 1 ≈ 1.139 is folded into q_proj and k_proj on load
    name: 'Llama-yarn-v5',
    config: {
      ...withoutKeys(llama2, ['rope_scaling', 'torch_dtype']),
      dtype: 'float32',
      rope_parameters: { rope_type: 'yarn', rope_theta: 10000.0, factor: 4.0, original_max_position_embeddings: 1024 },
      transformers_version: '5.0.0',
    },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'sentencepiece',
  },
];

// YaRN on the Qwen and SmolLM3 layouts above (their files, tokenizers and dtypes)
const caseNamed = (name: string) => CHECKPOINT_CASES.find((c) => c.name === name)!;
CHECKPOINT_CASES.push(
  {
    // Qwen2.5's long-context recipe (its model card: add rope_scaling {"type": "yarn", ...} to
    // config.json), 4.x spelling, smaller numbers: the factor also scales q's and k's biases
    ...caseNamed('Qwen2.5-style'),
    name: 'Qwen2.5-yarn',
    config: {
      ...caseNamed('Qwen2.5-style').config,
      max_position_embeddings: 512,
      rope_scaling: { factor: 4.0, original_max_position_embeddings: 128, type: 'yarn' },
      rope_theta: 10000.0,
    },
  },
  {
    // Qwen3 with YaRN, every optional key set (betas, truncate false, DeepSeek-style mscale pair):
    // the attention factor goes into the per-head q/k norms, which come after the projections
    ...caseNamed('Qwen3-0.6B-style'),
    name: 'Qwen3-yarn',
    config: {
      ...caseNamed('Qwen3-0.6B-style').config,
      max_position_embeddings: 384,
      rope_scaling: {
        rope_type: 'yarn',
        factor: 3.0,
        original_max_position_embeddings: 128,
        beta_fast: 8,
        beta_slow: 2,
        truncate: false,
        mscale: 1.5,
        mscale_all_dim: 0.5,
      },
      rope_theta: 10000.0,
    },
  },
  {
    // SmolLM3's model card adds YaRN for 128k (factor 2 over 65536), smaller numbers here: its layer
    // without RoPE skips the rotary embedding and so the attention factor
    ...caseNamed('SmolLM3-style'),
    name: 'SmolLM3-yarn',
    config: {
      ...caseNamed('SmolLM3-style').config,
      rope_scaling: { factor: 2.0, original_max_position_embeddings: 64, type: 'yarn' },
      rope_theta: 10000.0,
    },
  },
);

/** A case's files and tokenizer with config keys added, written in float32 as one shard. */
const f32Variant = (base: string, name: string, keys: Json): CheckpointCase => ({
  ...caseNamed(base),
  name,
  config: { ...caseNamed(base).config, ...keys },
  dtype: 'float32',
  shards: 1,
});

// OPT without its final norm; biases where transformers' classes take attention_bias and mlp_bias (hf-config.ts linearBiases)
CHECKPOINT_CASES.push(
  {
    // OPTs fine-tuned before transformers 4.20 (pre-norm without the final norm)
    name: 'OPT-no-final-norm',
    config: { ...caseNamed('OPT-125m-style').config, _remove_final_layer_norm: true },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'byte-level',
  },
  { name: 'Llama-attention-bias', config: { ...llama2, attention_bias: true }, dtype: 'float32', shards: 1, tokenizer: 'sentencepiece' },
  { name: 'Llama-mlp-bias', config: { ...llama2, mlp_bias: true }, dtype: 'float32', shards: 1, tokenizer: 'sentencepiece' },
  {
    // ibm-granite/granite-3b-code-base's layout: a LlamaForCausalLM (transformers 4.40) with biases on
    // every Linear, StarCoder's byte-level tokenizer, tied head, MHA
    name: 'Granite-code-style',
    config: {
      ...llama2,
      attention_bias: true,
      attention_dropout: 0.0,
      bos_token_id: G['<|end_of_text|>'],
      eos_token_id: G['<|end_of_text|>'],
      max_position_embeddings: 2048,
      mlp_bias: true,
      pad_token_id: undefined,
      rope_theta: 10000.0,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      transformers_version: '4.40.0',
    },
    dtype: 'bfloat16',
    shards: 1,
    ...GRANITE_TOKENIZER,
  },
  {
    // GraniteForCausalLM with both biases: q's, o's and down's biases take the multipliers too
    name: 'Granite-biases',
    config: { ...granite, attention_bias: true, mlp_bias: true },
    dtype: 'float32',
    shards: 1,
    ...GRANITE_TOKENIZER,
  },
  // Qwen3Attention takes attention_bias on q, k, v and o
  f32Variant('Qwen3-0.6B-style', 'Qwen3-attention-bias', { attention_bias: true }),
  // Qwen3's MLP (GemmaMLP) has no biases whatever mlp_bias says: none written, none read
  f32Variant('Qwen3-0.6B-style', 'Qwen3-mlp-bias-ignored', { mlp_bias: true }),
  // Phi3Attention's qkv_proj and o_proj are bias=False whatever attention_bias says: none read
  f32Variant('Phi-3-mini-4k-style', 'Phi-3-attention-bias-ignored', { attention_bias: true }),
  // SmolLM3Attention's q/k/v/o all take attention_bias; mlp_bias biases gate, up and down (LlamaMLP)
  f32Variant('SmolLM3-style', 'SmolLM3-biases', { attention_bias: true, mlp_bias: true }),
);

/** Checkpoints the studio does not compute, each with what its refusal must name. */
export const REFUSED_CASES: (CheckpointCase & { refusal: RegExp })[] = [
  {
    // NTK-by-parts and other rope kinds transformers has no function for
    name: 'Llama-unknown-rope',
    config: { ...llama2, rope_scaling: { type: 'ntk-by-parts', factor: 2.0 } },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'sentencepiece',
    refusal: /rope_scaling "ntk-by-parts".*'linear', 'llama3', 'yarn', 'dynamic' and Phi-3's 'longrope'/,
  },
  {
    // a GPTQ checkpoint's config (its weights would be packed integers): refused before any are read
    name: 'Llama-already-gptq',
    config: { ...llama2, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128, desc_act: false, sym: true } },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'sentencepiece',
    refusal: /already quantized \(quantization_config with quant_method "gptq"\).*full-precision/,
  },
];

/**
 * Windows (8) shorter than a test sequence: exact up to the window, refused beyond it. Mistral's on
 * every layer; Qwen2's with use_sliding_window on layer 1 of 2 (from max_window_layers on).
 */
export const SHORT_WINDOW_CASES: CheckpointCase[] = [
  {
    ...CHECKPOINT_CASES.find((c) => c.name === 'Mistral-7B-v0.1-style')!,
    name: 'Mistral-window-8',
    config: { ...CHECKPOINT_CASES.find((c) => c.name === 'Mistral-7B-v0.1-style')!.config, sliding_window: 8 },
    shards: 1,
  },
  {
    name: 'Qwen2-sliding-window',
    config: { ...CHECKPOINT_CASES.find((c) => c.name === 'Qwen2.5-style')!.config, use_sliding_window: true, sliding_window: 8, max_window_layers: 1 },
    dtype: 'float32',
    shards: 1,
    tokenizer: 'byte-level',
    preTokenizer: 'qwen2',
    addedTokens: QWEN_SPECIAL,
  },
];
