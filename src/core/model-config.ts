// The architecture description every loader produces and every engine part consumes.
// Tensor names follow Hugging Face transformers (see tensorNames.ts), whatever the file format.

/** transformers' rope_scaling kinds that keep attention unscaled: 'linear' and LLaMA 3's 'llama3';
 *  'factors': llama.cpp's rope_freqs tensor (frequency i divided by factors[i]), as GGUF files hold llama3;
 *  'longrope': Phi-3.5 / Phi-3-128k's LongRoPE, read for runs up to originalMaxPositions only, where
 *  transformers divides frequency i by shortFactor[i] (longFactor is its choice beyond, kept for the
 *  exports); 'yarn': YaRN's blend of kept and divided frequencies (the same at every length). Both
 *  multiply cos and sin by attentionFactor; the loader has already folded that into what makes q and k
 *  (src/formats/rope-attention-factor.ts), so the engine, the oracle and the exports rotate with the
 *  frequencies alone: attentionFactor is kept for the model card, never applied again. 'dynamic': dynamic
 *  NTK, whose base grows only once a sequence passes originalMaxPositions; read for runs up to it,
 *  where its frequencies are the unscaled ones. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'factors'; factors: number[] }
  | { type: 'longrope'; shortFactor: number[]; longFactor: number[]; originalMaxPositions: number; attentionFactor: number }
  | { type: 'yarn'; factor: number; originalMaxPositions: number; betaFast: number; betaSlow: number; truncate: boolean; attentionFactor: number }
  | { type: 'dynamic'; factor: number; originalMaxPositions: number };

export type Architecture = 'llama' | 'opt';

/** GraniteForCausalLM's scalars (transformers' GraniteConfig; each 1.0 where absent). */
export interface GraniteMultipliers {
  /** The input embedding is embed_tokens(ids) times this. */
  embeddingMultiplier: number;
  /** Each block adds its attention and MLP outputs to the residual stream times this. */
  residualMultiplier: number;
  /** The attention scores' scale, in place of 1/sqrt(head_dim). */
  attentionMultiplier: number;
  /** The logits are the LM head's output divided by this. */
  logitsScaling: number;
}

export interface ModelConfig {
  /** Display name, e.g. "stories260K" or a repo id. */
  name: string;
  arch: Architecture;
  /** The config's own architecture string (LlamaForCausalLM, Qwen2ForCausalLM, ...). */
  sourceArchitecture: string;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  maxPositions: number;
  normEps: number;
  /** LLaMA family only. */
  ropeTheta: number;
  /** config.json's rope_scaling where it changes the frequencies (LLaMA 3.1/3.2's 'llama3', 'linear'). */
  ropeScaling?: RopeScaling;
  /** Mistral's sliding_window: attention sees at most this many keys. The studio's attention is full
   *  causal, equal to it for sequences up to the window; longer runs are refused. Absent: no window. */
  slidingWindow?: number;
  /** Where only some layers are windowed (Qwen2/3 and SmolLM3 with use_sliding_window): those layers,
   *  ascending, for the Hugging Face exports to write back. Absent with slidingWindow: every layer. */
  slidingWindowLayers?: number[];
  /** Phi-4-mini's partial_rotary_factor: RoPE turns only the first rotaryDim of each head's dimensions
   *  (HF order), the rest pass through. The loader stores q's and k's rows (per head) so that those pass
   *  through dims sit at pairs (i, i + headDim/2) for i ≥ rotaryDim/2, which turn at frequency 0
   *  (src/formats/partial-rotary.ts): the kernels rotate every pair as for full RoPE. Absent: headDim. */
  rotaryDim?: number;
  /** 'interleaved': rotate pairs (2i, 2i+1) as llama2.c/GGUF/Meta do; 'half': rotate (i, i+d/2) as HF does. */
  ropeStyle: 'interleaved' | 'half';
  tiedEmbeddings: boolean;
  /** Biases on q, k and v: Qwen2, OPT, and attention_bias=true in LLaMA, Qwen3, SmolLM3 and Granite configs. */
  qkvBias: boolean;
  /** A bias on o_proj / out_proj: OPT, and attention_bias=true (which biases q, k, v and o alike). */
  outBias: boolean;
  /** Biases on the MLP's Linears: OPT's fc1/fc2, and mlp_bias=true (gate, up, down: granite-3b-code's LLaMA config). */
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each head of q and of k (self_attn.q_norm / k_norm, weights [headDim]) before RoPE. */
  qkNorm?: boolean;
  /** SmolLM3: the layers whose attention has no RoPE ("NoPE"; no_rope_layers[i] = 0), ascending. */
  noRopeLayers?: number[];
  /** OPT with do_layer_norm_before=false (opt-350m): each LayerNorm follows its residual sum, so a
   *  block's output is normalised, and the model has no final norm. */
  postNorm?: boolean;
  /** OPT with _remove_final_layer_norm (pre-norm, fine-tuned before transformers 4.20): no final norm,
   *  the head reads the last block's output as it is. */
  noFinalNorm?: boolean;
  /** OPT's word_embed_proj_dim where it differs from hidden (opt-350m: 512 and 1024): the embedding
   *  and the LM head are this wide, project_in / project_out map to and from the blocks' width. */
  embedDim?: number;
  activation: 'silu' | 'relu' | 'gelu';
  /** OPT only: learned absolute positions, row = position + offset (2 for OPT); absent for RoPE models. */
  positionOffset?: number;
  bosId: number;
  eosId: number;
  /** config.json's pad_token_id where it names a token (absent, null or -1: none); exports write it back,
   *  since transformers otherwise takes its config class's default (SmolLM3's 128004, Phi-3's 32000). */
  padId?: number;
  /** Granite's four scalars as its config.json (or GGUF metadata) gives them. The loader has already
   *  folded them into the weights (src/formats/granite-multipliers.ts), so the engine, the oracle and
   *  every export compute the plain LLaMA those weights are: kept for the model card, never applied again. */
  foldedMultipliers?: GraniteMultipliers;
  /** A GGUF whose weight matrices were stored quantized (e.g. ['Q4_K', 'Q6_K'] for a Q4_K_M file): the
   *  studio dequantizes them on load, so its "fp" baseline is that already-quantized model. */
  storedQuantization?: string[];
}

/** Float32 weights by HF tensor name; loaders may produce them lazily so one block fits at a time. */
export interface WeightSource {
  config: ModelConfig;
  /** Shapes of every tensor, known from headers before any data is read. */
  shapes: Map<string, number[]>;
  /** The tensor's values as f32 (converted from F16/BF16/Q8_0 as needed). */
  get(name: string): Promise<Float32Array>;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  /** Text to ids, without BOS (callers add it, as the perplexity protocol does). */
  encode(text: string): number[];
  /**
   * For encoding a long text in pieces (src/engine/tokenize.ts): the first position at or after
   * `from` where the text can be cut so that encode(text[0, cut)) followed by
   * encodeContinuation(text[cut, ...)) equals encode(text) (text.length when there is none).
   * Absent: the tokenizer cannot say, and the text is encoded in one piece.
   */
  cutAtOrAfter?(text: string, from: number): number;
  /** The ids of a piece that continues a text (no start-of-text treatment such as a dummy prefix). */
  encodeContinuation?(text: string): number[];
  decode(ids: number[]): string;
  /** The piece of one id, for messages. */
  idToToken?(id: number): string | undefined;
}

export interface LoadedModel {
  weights: WeightSource;
  tokenizer: Tokenizer;
  /** Where it came from, for history and reproducible links: "bundled:stories260K", "hf:org/repo@rev", "local:file.gguf". */
  source: string;
}

/** Whether the model normalises the last block's output before the head (post-norm blocks and
 *  OPT's _remove_final_layer_norm have no final norm). */
export function hasFinalNorm(cfg: Pick<ModelConfig, 'postNorm' | 'noFinalNorm'>): boolean {
  return !cfg.postNorm && !cfg.noFinalNorm;
}

/** Whether layer l's attention sees only the last slidingWindow keys (every layer where
 *  slidingWindowLayers is absent). */
export function windowedLayer(cfg: Pick<ModelConfig, 'slidingWindow' | 'slidingWindowLayers'>, l: number): boolean {
  return cfg.slidingWindow !== undefined && (cfg.slidingWindowLayers?.includes(l) ?? true);
}
