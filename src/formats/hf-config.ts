// Hugging Face config.json -> ModelConfig, and the tensor shapes a config implies.
import { hasFinalNorm, type ModelConfig } from '../core/model-config';
import { globalNames, headNormNames, linearHasBias, linearName, linearRoles, normNames } from '../core/tensor-names';
import { FormatError } from './errors';
import type { RopeScaling } from '../core/model-config';

export const SUPPORTED_HF_ARCHITECTURES = [
  'LlamaForCausalLM',
  'MistralForCausalLM',
  'Qwen2ForCausalLM',
  'Qwen3ForCausalLM',
  'Phi3ForCausalLM',
  'SmolLM3ForCausalLM',
  'GraniteForCausalLM',
  'OPTForCausalLM',
] as const;
const SUPPORTED_TEXT =
  'Supported: LlamaForCausalLM (LLaMA, SmolLM, TinyLlama...), MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM (dense Qwen3), Phi3ForCausalLM (Phi-3 mini/medium, Phi-3.5-mini and the 128k Phi-3s with longrope), SmolLM3ForCausalLM, GraniteForCausalLM (dense Granite 3.x), OPTForCausalLM (opt-125m to 66b, pre-norm and post-norm)';

const MODEL_TYPE_TO_ARCH: Record<string, string> = {
  llama: 'LlamaForCausalLM',
  mistral: 'MistralForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  qwen3: 'Qwen3ForCausalLM',
  phi3: 'Phi3ForCausalLM',
  smollm3: 'SmolLM3ForCausalLM',
  granite: 'GraniteForCausalLM',
  opt: 'OPTForCausalLM',
};

/** Architectures close to a supported one, with what sets them apart (said when they are refused). */
const NEAR_MISSES: [RegExp, string][] = [
  [
    /^(GraniteMoe|granitemoe)/,
    'Granite with mixture-of-experts MLPs (GraniteMoe*, granite-3.x-*-a*b) or Mamba-2 layers (GraniteMoeHybrid, Granite 4.0) is another architecture; dense GraniteForCausalLM (granite-3.x 2b and 8b) is supported',
  ],
];

type Json = Record<string, unknown>;

/** More than any released model (405B LLaMA has 126); the tensor list of a config is built per layer. */
export const MAX_LAYERS = 1024;

/** A value for messages: numbers as themselves (JSON.stringify shows NaN and 1e999 as null). */
function show(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/**
 * A model to quantize, not one quantized already: a config with a quantization_config (GPTQ, AWQ,
 * bitsandbytes, FP8 checkpoints) holds packed integers or 8-bit floats, not the weights the methods
 * start from. (The studio's own GPTQ folders are read by export/gptq-read.ts, not as models.)
 */
export function refuseQuantizedCheckpoint(json: unknown, file = 'config.json'): void {
  const q = (json as Json | null)?.quantization_config;
  if (q === undefined || q === null) return;
  const method = typeof q === 'object' && !Array.isArray(q) ? (q as Json).quant_method : undefined;
  throw new FormatError(
    file,
    `describes a checkpoint that is already quantized (quantization_config${typeof method === 'string' ? ` with quant_method "${method}"` : ''})`,
    'The studio quantizes full-precision (F32/F16/BF16) checkpoints: load the original model the quantized one was made from',
  );
}

export function parseHfConfig(json: unknown, file = 'config.json', name = 'model'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FormatError(file, 'is not a JSON object', 'Use the config.json of a Hugging Face transformers model');
  }
  const c = json as Json;
  const archs = Array.isArray(c.architectures) ? (c.architectures as unknown[]) : [];
  const source = (typeof archs[0] === 'string' ? archs[0] : undefined) ?? MODEL_TYPE_TO_ARCH[String(c.model_type)];
  if (!source || !(SUPPORTED_HF_ARCHITECTURES as readonly string[]).includes(source)) {
    const named = archs[0] ?? c.model_type ?? null;
    const near = NEAR_MISSES.find(([pattern]) => typeof named === 'string' && pattern.test(named));
    throw new FormatError(file, `has architecture ${JSON.stringify(named)}, which this studio does not run${near ? ` (${near[1]})` : ''}`, SUPPORTED_TEXT);
  }
  const int = (key: string, fallback?: number, max = 1 << 30): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
      throw new FormatError(
        file,
        `field "${key}" is ${show(c[key])}, expected a positive integer${max < 1 << 30 ? ` up to ${max}` : ''}`,
        'Fix config.json or use the original from the model repo',
      );
    }
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new FormatError(file, `field "${key}" is ${show(c[key])}, expected a positive number`, 'Fix config.json or use the original from the model repo');
    }
    return v;
  };
  // bos/eos/pad ids: absent or null take the default; anything else must be a row of the embedding.
  const tokenId = (key: string, fallback: number): number => {
    const raw = c[key];
    if (raw === undefined || raw === null) return fallback;
    const list = Array.isArray(raw) ? raw : [raw];
    const vocab = typeof c.vocab_size === 'number' ? c.vocab_size : Infinity;
    for (const v of list) {
      if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < vocab)) {
        throw new FormatError(
          file,
          `field "${key}" is ${JSON.stringify(raw)}, not a token id below vocab_size ${JSON.stringify(c.vocab_size)}`,
          'Fix config.json or use the original from the model repo',
        );
      }
    }
    return list.length ? (list[0] as number) : fallback;
  };
  // Some LLaMA-1 era configs write pad_token_id -1 for "no padding token".
  const padId = c.pad_token_id === -1 || c.pad_token_id === undefined || c.pad_token_id === null ? undefined : tokenId('pad_token_id', 0);
  const pad = padId !== undefined ? { padId } : {};
  // tie_word_embeddings: absent takes the architecture's default; anything but a boolean is an error.
  const tied = (fallback: boolean): boolean => {
    const v = c.tie_word_embeddings;
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean')
      throw new FormatError(
        file,
        `field "tie_word_embeddings" is ${JSON.stringify(v)}, expected true or false`,
        'Fix config.json or use the original from the model repo',
      );
    return v;
  };
  const unsupported = (what: string): never => {
    throw new FormatError(file, `uses ${what}, which this studio does not implement`, SUPPORTED_TEXT);
  };

  if (source === 'OPTForCausalLM') {
    const hidden = int('hidden_size');
    // opt-350m: post-norm blocks (no final norm) and a 512-wide embedding projected to 1024
    const postNorm = c.do_layer_norm_before === false;
    if (c.do_layer_norm_before !== undefined && typeof c.do_layer_norm_before !== 'boolean')
      throw new FormatError(file, `field "do_layer_norm_before" is ${show(c.do_layer_norm_before)}, expected true or false`, 'Fix config.json');
    const embedDim = c.word_embed_proj_dim === undefined || c.word_embed_proj_dim === null ? hidden : int('word_embed_proj_dim');
    const act = c.activation_function ?? 'relu';
    if (act !== 'relu') unsupported(`activation_function=${JSON.stringify(act)} (OPT support covers relu)`);
    if (c.enable_bias === false) unsupported('enable_bias=false');
    if (c.layer_norm_elementwise_affine === false) unsupported('layer_norm_elementwise_affine=false');
    const heads = int('num_attention_heads');
    if (hidden % heads !== 0) throw new FormatError(file, `hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`, 'Fix config.json');
    return {
      name,
      arch: 'opt',
      sourceArchitecture: source,
      hidden,
      intermediate: int('ffn_dim'),
      layers: int('num_hidden_layers', undefined, MAX_LAYERS),
      heads,
      kvHeads: heads,
      headDim: hidden / heads,
      vocab: int('vocab_size'),
      maxPositions: int('max_position_embeddings'),
      normEps: 1e-5,
      ropeTheta: 0,
      ropeStyle: 'half',
      tiedEmbeddings: tied(true),
      qkvBias: true,
      outBias: true,
      mlpBias: true,
      ...(postNorm ? { postNorm } : {}),
      // OPTs fine-tuned before transformers 4.20: pre-norm blocks, no final norm
      ...(!postNorm && c._remove_final_layer_norm === true ? { noFinalNorm: true } : {}),
      ...(embedDim !== hidden ? { embedDim } : {}),
      activation: 'relu',
      positionOffset: 2,
      bosId: tokenId('bos_token_id', 2),
      eosId: tokenId('eos_token_id', 2),
      ...pad,
    };
  }

  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  // MistralConfig defaults to 8 KV heads; the others to one per attention head.
  const kvHeads = int('num_key_value_heads', source === 'MistralForCausalLM' ? 8 : heads);
  if (heads % kvHeads !== 0) throw new FormatError(file, `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`, 'Fix config.json');
  if (c.head_dim === undefined || c.head_dim === null) {
    if (hidden % heads !== 0)
      throw new FormatError(file, `hidden_size ${hidden} is not a multiple of num_attention_heads ${heads} and head_dim is not given`, 'Fix config.json');
  }
  // Qwen3Config defaults head_dim to 128 (its configs write it); the others to hidden / heads.
  const headDim = c.head_dim === undefined || c.head_dim === null ? (source === 'Qwen3ForCausalLM' ? 128 : hidden / heads) : int('head_dim');
  if (headDim % 2 !== 0) throw new FormatError(file, `head_dim ${headDim} is odd; rotary embeddings need an even head size`, 'Fix config.json');
  const act = c.hidden_act ?? 'silu';
  if (act !== 'silu') unsupported(`hidden_act=${JSON.stringify(act)} (the LLaMA family here uses silu)`);
  // transformers 5 writes rope_theta and the scaling together as rope_parameters; 4.x wrote
  // rope_theta and rope_scaling. Read either, so a v5 checkpoint never falls back to theta 10000.
  const rope = readRopeParameters(c, file, unsupported);
  const rotaryDim = readRotaryDim(rope.partialRotaryFactor ?? c.partial_rotary_factor, headDim, source, file, unsupported);
  const ropeScaling = parseRopeScaling(rope.scaling, file, unsupported, rope.key, { c, source, rotaryDim });
  const biases = linearBiases(c, source);
  const layers = int('num_hidden_layers', undefined, MAX_LAYERS);
  const noRopeLayers = source === 'SmolLM3ForCausalLM' ? readNoRopeLayers(c, layers, file) : [];
  const window = readSlidingWindow(c, source, file, layers, noRopeLayers);
  return {
    name,
    arch: 'llama',
    sourceArchitecture: source,
    hidden,
    intermediate: int('intermediate_size'),
    layers,
    heads,
    kvHeads,
    headDim,
    vocab: int('vocab_size'),
    maxPositions: int('max_position_embeddings', 2048),
    normEps: num('rms_norm_eps', 1e-6),
    ropeTheta: rope.theta ?? num('rope_theta', 10000),
    ...(ropeScaling ? { ropeScaling } : {}),
    ...(rotaryDim < headDim ? { rotaryDim } : {}),
    ...window,
    // transformers' LLaMA weights rotate (i, i + d/2) pairs.
    ropeStyle: 'half',
    // SmolLM3Config ties the head by default; the other LLaMA-family configs do not
    tiedEmbeddings: tied(source === 'SmolLM3ForCausalLM'),
    ...biases,
    ...(source === 'Qwen3ForCausalLM' ? { qkNorm: true } : {}),
    ...(noRopeLayers.length ? { noRopeLayers } : {}),
    // Granite is this LLaMA once its multipliers are folded into the weights (on load, not here)
    ...(source === 'GraniteForCausalLM'
      ? {
          foldedMultipliers: {
            embeddingMultiplier: num('embedding_multiplier', 1),
            residualMultiplier: num('residual_multiplier', 1),
            attentionMultiplier: num('attention_multiplier', 1),
            logitsScaling: num('logits_scaling', 1),
          },
        }
      : {}),
    activation: 'silu',
    bosId: tokenId('bos_token_id', 1),
    eosId: tokenId('eos_token_id', 2),
    ...pad,
  };
}

/**
 * rope_theta and the scaling dict from either spelling: transformers 5's rope_parameters
 * ({rope_type, rope_theta, factor, ...}) or 4.x's rope_theta + rope_scaling. A rope_parameters
 * keyed by layer type (full_attention / sliding_attention, as Gemma 3 writes) is refused.
 */
function readRopeParameters(
  c: Json,
  file: string,
  unsupported: (what: string) => never,
): { theta?: number; scaling: unknown; key: string; partialRotaryFactor?: unknown } {
  const p = c.rope_parameters;
  if (p === undefined || p === null) return { scaling: c.rope_scaling, key: 'rope_scaling' };
  if (typeof p !== 'object' || Array.isArray(p))
    throw new FormatError(
      file,
      `field "rope_parameters" is ${JSON.stringify(p)}, expected an object`,
      'Fix config.json or use the original from the model repo',
    );
  const r = p as Json;
  if (r.rope_type === undefined && r.rope_theta === undefined && Object.values(r).some((v) => typeof v === 'object' && v !== null)) {
    unsupported(`rope_parameters per layer type (${Object.keys(r).join(', ')})`);
  }
  const theta = r.rope_theta;
  if (theta !== undefined && (typeof theta !== 'number' || !Number.isFinite(theta) || theta <= 0))
    throw new FormatError(
      file,
      `rope_parameters.rope_theta is ${show(theta)}, expected a positive number`,
      'Fix config.json or use the original from the model repo',
    );
  return { theta: theta as number | undefined, scaling: r, key: 'rope_parameters', partialRotaryFactor: r.partial_rotary_factor };
}

/**
 * Which Linears add a bias, as transformers 5.17's modeling code builds each architecture (the
 * checkpoint cases' transformers references check it): Qwen2 always on q, k and v; attention_bias on
 * q, k, v and o in LLaMA, Granite, Qwen3 and SmolLM3; mlp_bias on gate, up and down in LLaMA,
 * Granite and SmolLM3 (Qwen2/3's and Mistral's MLPs have none); Mistral's and Phi-3's Linears never
 * have one, whatever the keys say.
 */
export function linearBiases(c: Json, source: string): Pick<ModelConfig, 'qkvBias' | 'outBias' | 'mlpBias'> {
  const attention = c.attention_bias === true && ['LlamaForCausalLM', 'GraniteForCausalLM', 'Qwen3ForCausalLM', 'SmolLM3ForCausalLM'].includes(source);
  const mlp = c.mlp_bias === true && ['LlamaForCausalLM', 'GraniteForCausalLM', 'SmolLM3ForCausalLM'].includes(source);
  return {
    qkvBias: source === 'Qwen2ForCausalLM' || attention,
    outBias: attention,
    mlpBias: mlp,
  };
}

/**
 * The attention window where the config limits it: Mistral's and Phi-3's sliding_window (null: none)
 * on every layer; Qwen2's, Qwen3's and SmolLM3's only with use_sliding_window, on some layers. The
 * studio's attention is full causal, which equals windowed attention for sequences up to the window;
 * runs are refused beyond it (checkContext).
 */
function readSlidingWindow(
  c: Json,
  source: string,
  file: string,
  layers: number,
  noRopeLayers: number[],
): Pick<ModelConfig, 'slidingWindow' | 'slidingWindowLayers'> {
  // Granite's attention is LLaMA's (GraniteAttention extends LlamaAttention): no window either.
  if (source === 'LlamaForCausalLM' || source === 'GraniteForCausalLM') return {};
  if (source === 'Qwen2ForCausalLM' || source === 'Qwen3ForCausalLM' || source === 'SmolLM3ForCausalLM') {
    // Only with use_sliding_window (released configs say false), on config.layer_types' sliding layers
    // where written, else Qwen2/3's from max_window_layers (Qwen2Config's default 28) on and SmolLM3's NoPE layers.
    if (c.use_sliding_window !== true) return {};
    const window = positiveWindow(c, file);
    const all = Array.from({ length: layers }, (_, i) => i);
    const maxWindowLayers = typeof c.max_window_layers === 'number' ? c.max_window_layers : 28;
    const windowed = Array.isArray(c.layer_types)
      ? all.filter((i) => (c.layer_types as unknown[])[i] === 'sliding_attention')
      : source === 'SmolLM3ForCausalLM'
        ? noRopeLayers
        : all.filter((i) => i >= maxWindowLayers);
    return window !== undefined && windowed.length ? { slidingWindow: window, slidingWindowLayers: windowed } : {};
  }
  const window = positiveWindow(c, file);
  return window !== undefined ? { slidingWindow: window } : {};
}

function positiveWindow(c: Json, file: string): number | undefined {
  const w = c.sliding_window;
  if (w === undefined || w === null) return undefined;
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w <= 0)
    throw new FormatError(
      file,
      `field "sliding_window" is ${show(w)}, expected a positive integer or null`,
      'Fix config.json or use the original from the model repo',
    );
  return w;
}

/**
 * SmolLM3's layers without RoPE: no_rope_layers[i] is 1 where layer i rotates q and k, 0 where it
 * does not (SmolLM3Attention: use_rope = config.no_rope_layers[layer_idx]); absent, every
 * no_rope_layer_interval-th layer (4: layers 3, 7, 11, ...) goes without, as SmolLM3Config fills it.
 */
function readNoRopeLayers(c: Json, layers: number, file: string): number[] {
  const list = c.no_rope_layers;
  if (list === undefined || list === null) {
    const interval = c.no_rope_layer_interval ?? 4;
    if (typeof interval !== 'number' || !Number.isSafeInteger(interval) || interval < 1)
      throw new FormatError(file, `field "no_rope_layer_interval" is ${show(interval)}, expected a positive integer`, 'Fix config.json');
    return Array.from({ length: layers }, (_, i) => i).filter((i) => (i + 1) % interval === 0);
  }
  if (!Array.isArray(list) || list.length !== layers || !list.every((v) => v === 0 || v === 1))
    throw new FormatError(
      file,
      `field "no_rope_layers" is ${JSON.stringify(list).slice(0, 80)}, expected ${layers} values of 0 or 1 (one per layer)`,
      'Fix config.json or use the original from the model repo',
    );
  return list.flatMap((v, i) => (v === 0 ? [i] : []));
}

/**
 * The head dimensions RoPE turns: head_dim times partial_rotary_factor, truncated as transformers'
 * int() does (Phi-4-mini: 0.75 of 128, 96). Only Phi3ForCausalLM among these architectures applies
 * it in transformers (rotary on the first dims, the rest passed through); elsewhere refused.
 */
function readRotaryDim(partial: unknown, headDim: number, source: string, file: string, unsupported: (what: string) => never): number {
  if (partial === undefined || partial === null || partial === 1) return headDim;
  if (source !== 'Phi3ForCausalLM') unsupported(`partial_rotary_factor=${show(partial)} (rotary on part of each head, read for Phi3ForCausalLM only)`);
  const rotaryDim = typeof partial === 'number' && partial > 0 && partial <= 1 ? Math.trunc(headDim * partial) : NaN;
  if (!(rotaryDim >= 2 && rotaryDim % 2 === 0))
    throw new FormatError(
      file,
      `partial_rotary_factor is ${show(partial)}, which turns ${Number.isNaN(rotaryDim) ? 'no valid number' : rotaryDim} of the ${headDim} head dimensions; expected a number in (0, 1] giving an even count of at least 2`,
      ROPE_FIX,
    );
  return rotaryDim;
}

/** What a scaling reads beside its own dict: longrope's lengths (config.json's top level) and factor count. */
interface RopeContext {
  c: Json;
  source: string;
  /** head_dim, or the part of it that RoPE turns (partial_rotary_factor) */
  rotaryDim: number;
}

/** The scaling part of rope_scaling / rope_parameters: absent, null or 'default' -> none; 'linear', 'llama3', 'yarn', 'dynamic' and Phi-3's 'longrope' read; others refused. */
function parseRopeScaling(raw: unknown, file: string, unsupported: (what: string) => never, key: string, ctx: RopeContext): RopeScaling | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new FormatError(file, `field "${key}" is ${JSON.stringify(raw)}, expected an object or null`, 'Fix config.json');
  const r = raw as Json;
  const type = r.rope_type ?? r.type ?? (key === 'rope_parameters' ? 'default' : undefined);
  const positive = (k: string): number => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new FormatError(file, `${key}.${k} is ${show(v)}, expected a positive number`, 'Fix config.json or use the original from the model repo');
    return v;
  };
  if (type === 'default') return undefined;
  if (type === 'linear') return { type: 'linear', factor: positive('factor') };
  if (type === 'llama3') {
    const scaling = {
      type: 'llama3' as const,
      factor: positive('factor'),
      lowFreqFactor: positive('low_freq_factor'),
      highFreqFactor: positive('high_freq_factor'),
      originalMaxPositions: positive('original_max_position_embeddings'),
    };
    if (scaling.highFreqFactor <= scaling.lowFreqFactor) throw new FormatError(file, `${key}.high_freq_factor is not above low_freq_factor`, 'Fix config.json');
    return scaling;
  }
  // Phi3Config renames the early 128k checkpoints' "su" to longrope
  if (type === 'longrope' || (type === 'su' && ctx.source === 'Phi3ForCausalLM')) return parseLongRope(r, file, unsupported, key, ctx, positive);
  if (type === 'yarn') return parseYarn(r, file, key, ctx, positive);
  // dynamic NTK: transformers' base grows once a sequence passes max_position_embeddings (or the
  // dict's original length): up to it the frequencies are the unscaled ones, which is all the studio runs
  if (type === 'dynamic') {
    const where = `${key}.original_max_position_embeddings (or max_position_embeddings)`;
    const limit = positiveInt(file, where, r.original_max_position_embeddings ?? ctx.c.max_position_embeddings ?? 2048);
    return { type: 'dynamic', factor: positive('factor'), originalMaxPositions: limit };
  }
  return unsupported(`${key} ${JSON.stringify(type)} (the studio reads 'linear', 'llama3', 'yarn', 'dynamic' and Phi-3's 'longrope')`);
}

const ROPE_FIX = 'Fix config.json or use the original from the model repo';

/** A length of rope_scaling / rope_parameters (`where` names it), or a FormatError saying what it is. */
function positiveInt(file: string, where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new FormatError(file, `${where} is ${show(v)}, expected a positive integer`, ROPE_FIX);
  return v;
}

/**
 * YaRN as transformers' _compute_yarn_parameters reads it: original_max_position_embeddings from the
 * dict, else max_position_embeddings; factor as given (at least 1), else max / original (transformers
 * 5); attention_factor as given, else get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim)
 * where both are set, else get_mscale(factor) (0.1 ln(factor) + 1; 1 where factor <= 1); beta_fast
 * and beta_slow 32 and 1 where unset or 0 (Python's `or`); truncate true unless false.
 */
function parseYarn(r: Json, file: string, key: string, ctx: RopeContext, positive: (k: string) => number): RopeScaling {
  const given = (k: string) => r[k] !== undefined && r[k] !== null;
  const original = given('original_max_position_embeddings')
    ? positive('original_max_position_embeddings')
    : positiveInt(file, `${key}.original_max_position_embeddings (and max_position_embeddings)`, ctx.c.max_position_embeddings);
  const factor = given('factor') ? positive('factor') : (ctx.c.max_position_embeddings as number) / original;
  if (!(factor >= 1)) throw new FormatError(file, `${key}.factor is ${show(factor)}, expected at least 1 (YaRN stretches the context)`, ROPE_FIX);
  const mscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
  const attentionFactor = given('attention_factor')
    ? positive('attention_factor')
    : r.mscale && r.mscale_all_dim
      ? mscale(factor, positive('mscale')) / mscale(factor, positive('mscale_all_dim'))
      : mscale(factor);
  if (r.truncate !== undefined && r.truncate !== null && typeof r.truncate !== 'boolean')
    throw new FormatError(file, `${key}.truncate is ${show(r.truncate)}, expected true or false`, ROPE_FIX);
  return {
    type: 'yarn',
    factor,
    originalMaxPositions: original,
    betaFast: r.beta_fast ? positive('beta_fast') : 32,
    betaSlow: r.beta_slow ? positive('beta_slow') : 1,
    truncate: r.truncate !== false,
    attentionFactor,
  };
}

/**
 * LongRoPE as transformers' _compute_longrope_parameters reads it: head_dim/2 positive short_factor
 * and long_factor values; original_max_position_embeddings from the scaling dict (transformers 5 moves
 * it there) or config.json's top level (Phi-3's configs; Phi3Config's default 4096, other configs'
 * max_position_embeddings); attention_factor as given, else from factor (as given, else
 * max_position_embeddings / original_max_position_embeddings): 1 where factor <= 1, else
 * sqrt(1 + ln(factor) / ln(original)).
 */
function parseLongRope(
  r: Json,
  file: string,
  unsupported: (what: string) => never,
  key: string,
  ctx: RopeContext,
  positive: (k: string) => number,
): RopeScaling {
  // Mistral: the form the studio's Hugging Face exports write Phi-3 in (its q/k/v apart, no biases)
  if (ctx.source !== 'Phi3ForCausalLM' && ctx.source !== 'MistralForCausalLM')
    unsupported(`${key} "longrope" in a ${ctx.source} config (the studio reads LongRoPE for Phi3ForCausalLM and MistralForCausalLM only)`);
  const factors = (k: string): number[] => {
    const v = r[k];
    const ok = Array.isArray(v) && v.length === ctx.rotaryDim / 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0);
    if (!ok)
      throw new FormatError(
        file,
        `${key}.${k} is ${JSON.stringify(v)?.slice(0, 80)}, expected ${ctx.rotaryDim / 2} positive numbers (one per rotary frequency)`,
        ROPE_FIX,
      );
    return v as number[];
  };
  const maxPositions = positiveInt(file, 'field "max_position_embeddings"', ctx.c.max_position_embeddings ?? 4096);
  const original =
    r.original_max_position_embeddings !== undefined && r.original_max_position_embeddings !== null
      ? positiveInt(file, `${key}.original_max_position_embeddings`, r.original_max_position_embeddings)
      : positiveInt(
          file,
          'field "original_max_position_embeddings"',
          ctx.c.original_max_position_embeddings ?? (ctx.source === 'Phi3ForCausalLM' ? 4096 : maxPositions),
        );
  let attentionFactor = r.attention_factor;
  if (attentionFactor === undefined || attentionFactor === null) {
    const factor = r.factor === undefined || r.factor === null ? maxPositions / original : positive('factor');
    attentionFactor = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  } else if (typeof attentionFactor !== 'number' || !Number.isFinite(attentionFactor) || attentionFactor <= 0) {
    throw new FormatError(file, `${key}.attention_factor is ${show(attentionFactor)}, expected a positive number`, ROPE_FIX);
  }
  return {
    type: 'longrope',
    shortFactor: factors('short_factor'),
    longFactor: factors('long_factor'),
    originalMaxPositions: original,
    attentionFactor: attentionFactor as number,
  };
}

function toHfRopeScaling(s: RopeScaling | undefined): Json | null {
  if (!s) return null;
  if (s.type === 'linear') return { rope_type: 'linear', factor: s.factor };
  if (s.type === 'dynamic') return { rope_type: 'dynamic', factor: s.factor, original_max_position_embeddings: s.originalMaxPositions };
  // Refused before any folder is written (hfFolderProblem): config.json has no per-frequency factors.
  if (s.type === 'factors') throw new Error('per-frequency RoPE factors (a GGUF rope_freqs tensor) have no config.json form');
  // The weights carry the attention factor (folded on load): 1.0 here, or it would apply twice.
  if (s.type === 'longrope')
    return {
      rope_type: 'longrope',
      short_factor: s.shortFactor,
      long_factor: s.longFactor,
      original_max_position_embeddings: s.originalMaxPositions,
      attention_factor: 1.0,
    };
  // as LongRoPE: the q/k weights (or Qwen3's q/k norms) carry the attention factor
  if (s.type === 'yarn')
    return {
      rope_type: 'yarn',
      factor: s.factor,
      original_max_position_embeddings: s.originalMaxPositions,
      beta_fast: s.betaFast,
      beta_slow: s.betaSlow,
      ...(s.truncate ? {} : { truncate: false }),
      attention_factor: 1.0,
    };
  return {
    rope_type: 'llama3',
    factor: s.factor,
    low_freq_factor: s.lowFreqFactor,
    high_freq_factor: s.highFreqFactor,
    original_max_position_embeddings: s.originalMaxPositions,
  };
}

/** Every tensor the engine needs, by HF name, with its [out, in] (or [n]) shape. */
export function expectedShapes(cfg: ModelConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const g = globalNames(cfg.arch);
  const q = cfg.heads * cfg.headDim;
  const kv = cfg.kvHeads * cfg.headDim;
  const embedDim = cfg.embedDim ?? cfg.hidden;
  m.set(g.embed, [cfg.vocab, embedDim]);
  if (cfg.embedDim !== undefined) {
    m.set(g.projectIn!, [cfg.hidden, cfg.embedDim]);
    m.set(g.projectOut!, [cfg.embedDim, cfg.hidden]);
  }
  if (g.positions) m.set(g.positions, [cfg.maxPositions + (cfg.positionOffset ?? 0), cfg.hidden]);
  for (let l = 0; l < cfg.layers; l++) {
    for (const role of linearRoles(cfg.arch)) {
      const base = linearName(cfg.arch, l, role);
      const shape: Record<string, [number, number]> = {
        q: [q, cfg.hidden],
        k: [kv, cfg.hidden],
        v: [kv, cfg.hidden],
        o: [cfg.hidden, q],
        gate: [cfg.intermediate, cfg.hidden],
        up: [cfg.intermediate, cfg.hidden],
        down: [cfg.hidden, cfg.intermediate],
        fc1: [cfg.intermediate, cfg.hidden],
        fc2: [cfg.hidden, cfg.intermediate],
      };
      m.set(`${base}.weight`, shape[role]);
      if (linearHasBias(cfg, role)) m.set(`${base}.bias`, [shape[role][0]]);
    }
    if (cfg.qkNorm) {
      const h = headNormNames(l);
      m.set(`${h.q}.weight`, [cfg.headDim]);
      m.set(`${h.k}.weight`, [cfg.headDim]);
    }
    const n = normNames(cfg.arch, l);
    m.set(`${n.attn}.weight`, [cfg.hidden]);
    m.set(`${n.mlp}.weight`, [cfg.hidden]);
    if (cfg.arch === 'opt') {
      m.set(`${n.attn}.bias`, [cfg.hidden]);
      m.set(`${n.mlp}.bias`, [cfg.hidden]);
    }
  }
  if (hasFinalNorm(cfg)) {
    m.set(`${g.finalNorm}.weight`, [cfg.hidden]);
    if (cfg.arch === 'opt') m.set(`${g.finalNorm}.bias`, [cfg.hidden]);
  }
  m.set(g.lmHead, [cfg.vocab, embedDim]);
  return m;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Builds a LLaMA config.json (for the HF exporter) from a ModelConfig. */
export function toHfLlamaConfig(cfg: ModelConfig): Json {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: cfg.hidden,
    intermediate_size: cfg.intermediate,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    num_key_value_heads: cfg.kvHeads,
    head_dim: cfg.headDim,
    vocab_size: cfg.vocab,
    max_position_embeddings: cfg.maxPositions,
    rms_norm_eps: cfg.normEps,
    rope_theta: cfg.ropeTheta,
    rope_scaling: toHfRopeScaling(cfg.ropeScaling),
    // transformers 4.x reads LongRoPE's original length from the top level (its dynamic_rope_update too)
    ...(cfg.ropeScaling?.type === 'longrope' ? { original_max_position_embeddings: cfg.ropeScaling.originalMaxPositions } : {}),
    hidden_act: 'silu',
    attention_bias: cfg.outBias,
    attention_dropout: 0.0,
    mlp_bias: cfg.mlpBias,
    initializer_range: 0.02,
    pretraining_tp: 1,
    tie_word_embeddings: cfg.tiedEmbeddings,
    bos_token_id: cfg.bosId,
    eos_token_id: cfg.eosId,
    pad_token_id: cfg.padId ?? null,
    torch_dtype: 'float32',
    use_cache: true,
  };
}

/** Builds an OPT config.json (for the HF exporters) from a ModelConfig: pre- or post-norm, ReLU, biases, the embedding's projection. */
export function toHfOptConfig(cfg: ModelConfig): Json {
  return {
    architectures: ['OPTForCausalLM'],
    model_type: 'opt',
    hidden_size: cfg.hidden,
    word_embed_proj_dim: cfg.embedDim ?? cfg.hidden,
    ffn_dim: cfg.intermediate,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    vocab_size: cfg.vocab,
    max_position_embeddings: cfg.maxPositions,
    do_layer_norm_before: !cfg.postNorm,
    _remove_final_layer_norm: cfg.noFinalNorm === true,
    activation_function: 'relu',
    enable_bias: true,
    layer_norm_elementwise_affine: true,
    dropout: 0.0,
    attention_dropout: 0.0,
    activation_dropout: 0.0,
    layerdrop: 0.0,
    init_std: 0.02,
    tie_word_embeddings: cfg.tiedEmbeddings,
    bos_token_id: cfg.bosId,
    eos_token_id: cfg.eosId,
    pad_token_id: cfg.padId ?? null,
    torch_dtype: 'float32',
    use_cache: true,
  };
}
