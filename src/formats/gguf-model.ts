// A GGUF file as a LoadedModel: llama.cpp tensor names mapped to HF names, ggml shapes reversed to
// HF [out, in] order, the embedded SentencePiece vocabulary as the tokenizer. Q/K weights are kept
// as stored: llama.cpp's converter puts "llama" and "granite" ones in the interleaved rotary layout
// (ropeStyle 'interleaved') and leaves "qwen2"/"qwen3" ones in transformers' (NEOX rotary: 'half').
// "granite" is "llama" with four scales, folded into the weights on load (granite-multipliers.ts).
import type { GraniteMultipliers, LoadedModel, ModelConfig, RopeScaling } from '../core/model-config';
import { FormatError } from './errors';
import { MAX_LAYERS } from './hf-config';
import { ggmlTypeName, isBlockType, readGguf, readGgufTensor, type GgufFile, type GgufValue } from './gguf';
import { pieceTypeFromGguf, SentencePieceBpeTokenizer, type PieceType, type SentencePieceVocab } from './sentencepiece-bpe';
import type { ByteSource } from './byte-source';
import { tokenizerJsonFromGpt2 } from './gguf-gpt2';
import { HfTokenizer } from './hf-tokenizer';
import { checkTokenIds } from './token-ids';
import { buildWeightSource, type TensorEntry } from './weight-source';
import { engineTensors } from './engine-tensors';

/** RoPE tensors read into the config, not weights: LLaMA 3's frequency factors, Phi-3's LongRoPE factors. */
const ROPE_TENSORS = ['rope_freqs.weight', 'rope_factors_short.weight', 'rope_factors_long.weight'];

const SUPPORTED =
  'Supported GGUF models: general.architecture "llama" (LLaMA, Mistral, TinyLlama, SmolLM, llama2.c conversions), "qwen2" (Qwen2, Qwen2.5), "qwen3" (dense Qwen3), "granite" (dense Granite 3.x) or "phi3" (Phi-3, Phi-3.5, Phi-4-mini) with the "llama" (SentencePiece) or "gpt2" (byte-level BPE) tokenizer';

/** llama.cpp architectures read here: LLaMA's and Granite's rotate interleaved pairs, Qwen's and Phi-3's as transformers does (NEOX). */
const GGUF_ARCHITECTURES = ['llama', 'qwen2', 'qwen3', 'granite', 'phi3'];

const BLOCK_TENSORS: Record<string, string> = {
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
  attn_norm: 'input_layernorm',
  ffn_norm: 'post_attention_layernorm',
  attn_q_norm: 'self_attn.q_norm',
  attn_k_norm: 'self_attn.k_norm',
};

/** llama.cpp's "phi3": q/k/v in one attn_qkv and gate/up in one ffn_up (gate's rows first), as Phi3ForCausalLM stores them. */
const PHI3_BLOCK_TENSORS: Record<string, string> = { ...BLOCK_TENSORS, attn_qkv: 'self_attn.qkv_proj', ffn_up: 'mlp.gate_up_proj' };

/** llama.cpp tensor name -> HF name (undefined for tensors the engine does not use, e.g. rope_freqs). */
export function ggufToHfName(name: string, arch = 'llama'): string | undefined {
  if (name === 'token_embd.weight') return 'model.embed_tokens.weight';
  if (name === 'output_norm.weight') return 'model.norm.weight';
  if (name === 'output.weight') return 'lm_head.weight';
  const m = /^blk\.(\d+)\.([a-z_]+)\.(weight|bias)$/.exec(name);
  const block = arch === 'phi3' ? PHI3_BLOCK_TENSORS : BLOCK_TENSORS;
  if (m && block[m[2]]) return `model.layers.${m[1]}.${block[m[2]]}.${m[3]}`;
  return undefined;
}

function meta(file: GgufFile, key: string): GgufValue | undefined {
  return file.metadata.get(key);
}

function metaInt(file: GgufFile, key: string, fallback?: number, max = 1 << 30): number {
  const v = meta(file, key) ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > max) {
    throw new FormatError(
      file.source.name,
      `metadata "${key}" is ${describe(meta(file, key))}, expected a positive integer${max < 1 << 30 ? ` up to ${max}` : ''}`,
      'The file is incomplete or corrupt: re-convert it with a current llama.cpp',
    );
  }
  return v;
}

function metaNum(file: GgufFile, key: string, fallback: number): number {
  const v = meta(file, key) ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new FormatError(file.source.name, `metadata "${key}" is ${describe(meta(file, key))}, expected a positive number`, 'The file is corrupt');
  }
  // float32 metadata: 1e-5 is stored as 9.99999974e-6; keep the value that was meant.
  return Number(v.toPrecision(7));
}

function describe(v: GgufValue | undefined): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return `an array of ${(v as ArrayLike<unknown>).length}`;
  // NaN and ±Infinity as themselves: JSON.stringify would print them as null.
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

export function ggufConfig(file: GgufFile): ModelConfig {
  const arch = meta(file, 'general.architecture');
  if (typeof arch !== 'string' || !GGUF_ARCHITECTURES.includes(arch)) {
    throw new FormatError(file.source.name, `has general.architecture ${describe(arch)}, which this studio does not run from GGUF`, SUPPORTED);
  }
  const a = arch;
  const qwen = a === 'qwen2' || a === 'qwen3';
  const hidden = metaInt(file, `${a}.embedding_length`);
  const heads = metaInt(file, `${a}.attention.head_count`);
  const kvRaw = meta(file, `${a}.attention.head_count_kv`);
  if (kvRaw !== undefined && typeof kvRaw !== 'number') {
    throw new FormatError(
      file.source.name,
      `metadata "${a}.attention.head_count_kv" is ${describe(kvRaw)} (per-layer head counts)`,
      `${SUPPORTED}, with the same number of KV heads in every layer`,
    );
  }
  const kvHeads = metaInt(file, `${a}.attention.head_count_kv`, heads);
  if (heads % kvHeads !== 0) throw new FormatError(file.source.name, `has ${heads} heads, not a multiple of ${kvHeads} KV heads`, 'The file is corrupt');
  const headDim = metaInt(file, `${a}.attention.key_length`, hidden / heads);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new FormatError(file.source.name, `has head size ${headDim}, not an even integer`, 'The file is corrupt');
  const ropeDims = meta(file, `${a}.rope.dimension_count`);
  // Phi-4-mini turns part of each head (its NEOX pairs as transformers' partial rotary)
  const partialOk = a === 'phi3' && typeof ropeDims === 'number' && Number.isInteger(ropeDims) && ropeDims >= 2 && ropeDims % 2 === 0 && ropeDims < headDim;
  if (ropeDims !== undefined && ropeDims !== headDim && !partialOk) {
    throw new FormatError(file.source.name, `rotates ${describe(ropeDims)} of ${headDim} head dimensions (partial rotary)`, SUPPORTED);
  }
  // llama.cpp's "granite" (only) switches RoPE off with this key
  if (a === 'granite' && meta(file, 'granite.rope.scaling.finetuned') === false)
    throw new FormatError(file.source.name, 'has granite.rope.scaling.finetuned false (attention without RoPE)', SUPPORTED);
  const scaling = meta(file, `${a}.rope.scaling.type`);
  const linearFactor = scaling === 'linear' ? metaNum(file, `${a}.rope.scaling.factor`, 1) : undefined;
  // Phi-3's LongRoPE is its rope_factors tensors (loadGguf); a type key beside them says the same
  const phi3LongRopeKey = a === 'phi3' && (scaling === 'longrope' || scaling === 'su');
  if (scaling !== undefined && scaling !== 'none' && scaling !== 'linear' && !phi3LongRopeKey)
    throw new FormatError(file.source.name, `uses RoPE scaling ${describe(scaling)}`, `${SUPPORTED}, without RoPE scaling or with linear scaling`);
  // LLaMA 3.1/3.2 GGUFs carry their RoPE frequency factors as a tensor (rope_freqs), read in loadGguf.
  if (file.tensors.has('rope_freqs.weight') && linearFactor !== undefined)
    throw new FormatError(file.source.name, 'has both linear RoPE scaling and per-frequency factors (rope_freqs)', 'Use a file with one of them');
  const tokens = meta(file, 'tokenizer.ggml.tokens');
  const embd = file.tensors.get('token_embd.weight');
  const vocab = embd ? embd.ne[1] : Array.isArray(tokens) ? tokens.length : metaInt(file, `${a}.vocab_size`);
  return {
    name: file.source.name.replace(/\.gguf$/i, ''),
    arch: 'llama',
    sourceArchitecture: `gguf:${a}`,
    hidden,
    intermediate: metaInt(file, `${a}.feed_forward_length`),
    layers: metaInt(file, `${a}.block_count`, undefined, MAX_LAYERS),
    heads,
    kvHeads,
    headDim,
    vocab,
    maxPositions: metaInt(file, `${a}.context_length`, 2048),
    normEps: metaNum(file, `${a}.attention.layer_norm_rms_epsilon`, 1e-5),
    ropeTheta: metaNum(file, `${a}.rope.freq_base`, 10000),
    ...(linearFactor && linearFactor !== 1 ? { ropeScaling: { type: 'linear' as const, factor: linearFactor } } : {}),
    ...(partialOk ? { rotaryDim: ropeDims } : {}),
    // convert_hf_to_gguf.py writes 0 for none (Phi-4)
    ...(a === 'phi3' && (meta(file, 'phi3.attention.sliding_window') ?? 0) !== 0 ? { slidingWindow: metaInt(file, 'phi3.attention.sliding_window') } : {}),
    ropeStyle: qwen || a === 'phi3' ? 'half' : 'interleaved',
    tiedEmbeddings: !file.tensors.has('output.weight'),
    // llama.cpp's LLaMA takes each bias where the file has it (granite-3b-code: all of them)
    qkvBias: file.tensors.has('blk.0.attn_q.bias'),
    outBias: file.tensors.has('blk.0.attn_output.bias'),
    mlpBias: file.tensors.has('blk.0.ffn_up.bias'),
    ...(a === 'qwen3' ? { qkNorm: true } : {}),
    ...(a === 'granite' ? { foldedMultipliers: graniteScales(file, headDim) } : {}),
    activation: 'silu',
    bosId: typeof meta(file, 'tokenizer.ggml.bos_token_id') === 'number' ? (meta(file, 'tokenizer.ggml.bos_token_id') as number) : 1,
    eosId: typeof meta(file, 'tokenizer.ggml.eos_token_id') === 'number' ? (meta(file, 'tokenizer.ggml.eos_token_id') as number) : 2,
  };
}

/**
 * llama.cpp's "granite" scales, transformers' four multipliers under convert_hf_to_gguf's names. As
 * llama.cpp reads them, an absent or zero scale is none (attention's: 1/sqrt(head_dim)); the logit
 * scale is required.
 */
function graniteScales(file: GgufFile, headDim: number): GraniteMultipliers {
  const scale = (key: string, none: number) => ((meta(file, key) ?? 0) === 0 ? none : metaNum(file, key, none));
  return {
    embeddingMultiplier: scale('granite.embedding_scale', 1),
    residualMultiplier: scale('granite.residual_scale', 1),
    attentionMultiplier: scale('granite.attention.scale', 1 / Math.sqrt(headDim)),
    logitsScaling: metaNum(file, 'granite.logit_scale', NaN),
  };
}

export function ggufVocab(file: GgufFile): SentencePieceVocab {
  const name = file.source.name;
  const model = meta(file, 'tokenizer.ggml.model');
  if (model !== 'llama') {
    throw new FormatError(
      name,
      `has tokenizer.ggml.model ${describe(model)}; the SentencePiece "llama" and byte-level "gpt2" tokenizers are read from GGUF`,
      'Load the model from its Hugging Face repo (tokenizer.json) instead',
    );
  }
  const tokens = meta(file, 'tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
    throw new FormatError(name, 'has no tokenizer.ggml.tokens string array', 'The file has no embedded vocabulary: re-convert it with llama.cpp');
  }
  const n = tokens.length;
  const scores = meta(file, 'tokenizer.ggml.scores');
  if (!(scores instanceof Float32Array) || scores.length !== n) {
    throw new FormatError(
      name,
      `has tokenizer.ggml.scores ${describe(scores)}, expected ${n} float32 scores`,
      'The embedded vocabulary is incomplete: re-convert it with llama.cpp',
    );
  }
  const typesRaw = meta(file, 'tokenizer.ggml.token_type');
  if (typesRaw !== undefined && (!(typesRaw instanceof Int32Array || typesRaw instanceof Uint32Array) || typesRaw.length !== n)) {
    throw new FormatError(name, `has tokenizer.ggml.token_type ${describe(typesRaw)}, expected ${n} int32 values`, 'The embedded vocabulary is corrupt');
  }
  const id = (key: string, fallback: number) => {
    const v = meta(file, key);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= n) {
      throw new FormatError(
        name,
        `metadata "${key}" is ${describe(v)}, not an id of its ${n}-token vocabulary`,
        'The embedded vocabulary is corrupt: re-convert the model with llama.cpp',
      );
    }
    return v;
  };
  const unkId = id('tokenizer.ggml.unknown_token_id', 0);
  const bosId = id('tokenizer.ggml.bos_token_id', 1);
  const eosId = id('tokenizer.ggml.eos_token_id', 2);
  const types: PieceType[] = typesRaw
    ? Array.from(typesRaw as ArrayLike<number>, pieceTypeFromGguf)
    : (tokens as string[]).map((p, i) =>
        i === unkId ? 'unknown' : i === bosId || i === eosId ? 'control' : /^<0x[0-9A-Fa-f]{2}>$/.test(p) ? 'byte' : 'normal',
      );
  const prefix = meta(file, 'tokenizer.ggml.add_space_prefix');
  return {
    pieces: (tokens as string[]).map((t) => t.replaceAll('\u2581', ' ')),
    scores,
    types,
    bosId,
    eosId,
    unkId,
    addSpacePrefix: prefix === undefined ? true : prefix === true,
  };
}

/** A "gpt2" (byte-level BPE) vocabulary as the tokenizer.json it stands for. */
export function ggufGpt2Tokenizer(file: GgufFile, config: ModelConfig): HfTokenizer {
  const name = file.source.name;
  const tokens = meta(file, 'tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
    throw new FormatError(name, 'has no tokenizer.ggml.tokens string array', 'The file has no embedded vocabulary: re-convert it with llama.cpp');
  }
  const types = meta(file, 'tokenizer.ggml.token_type');
  if (!(types instanceof Int32Array || types instanceof Uint32Array) || types.length !== tokens.length) {
    throw new FormatError(
      name,
      `has tokenizer.ggml.token_type ${describe(types)}, expected ${tokens.length} int32 values`,
      'The embedded vocabulary is corrupt',
    );
  }
  const merges = meta(file, 'tokenizer.ggml.merges');
  if (!Array.isArray(merges) || !merges.every((t) => typeof t === 'string')) {
    throw new FormatError(
      name,
      `has tokenizer.ggml.merges ${describe(merges)}, expected a string array`,
      'The embedded vocabulary is incomplete: re-convert it with llama.cpp',
    );
  }
  const pre = meta(file, 'tokenizer.ggml.pre');
  const json = tokenizerJsonFromGpt2(
    { tokens: tokens as string[], types: Array.from(types), merges: merges as string[], pre: typeof pre === 'string' ? pre : '' },
    name,
  );
  return new HfTokenizer(json, {}, { bosId: config.bosId, eosId: config.eosId }, `${name} (tokenizer.ggml)`);
}

export async function loadGguf(src: ByteSource): Promise<LoadedModel> {
  const file = await readGguf(src);
  const config = ggufConfig(file);
  const tokenizer = meta(file, 'tokenizer.ggml.model') === 'gpt2' ? ggufGpt2Tokenizer(file, config) : new SentencePieceBpeTokenizer(ggufVocab(file));
  checkTokenIds(config, tokenizer, `${src.name} (tokenizer.ggml.tokens)`, `${src.name} (metadata)`);
  const freqs = file.tensors.get('rope_freqs.weight');
  if (freqs) {
    const f = await readGgufTensor(file, freqs.name);
    if (f.length !== config.headDim / 2 || !f.every((v) => Number.isFinite(v) && v > 0))
      throw new FormatError(
        src.name,
        `has rope_freqs of ${f.length} values, expected ${config.headDim / 2} positive factors (one per rotary frequency)`,
        'Use the original file',
      );
    config.ropeScaling = { type: 'factors', factors: Array.from(f) };
  }
  if (config.sourceArchitecture === 'gguf:phi3' && file.tensors.has('rope_factors_short.weight')) config.ropeScaling = await phi3LongRope(file, config);
  const blockTypes = [...new Set([...file.tensors.values()].filter((t) => isBlockType(t.type)).map((t) => ggmlTypeName(t.type)))].sort();
  if (blockTypes.length) config.storedQuantization = blockTypes;
  const tensors = new Map<string, TensorEntry>();
  for (const t of file.tensors.values()) {
    if (ROPE_TENSORS.includes(t.name)) continue;
    // A tensor without an HF name keeps its own, and is reported as one the config does not use.
    const hf = ggufToHfName(t.name, meta(file, 'general.architecture') as string) ?? t.name;
    tensors.set(hf, { shape: [...t.ne].reverse(), file: src.name, read: () => readGgufTensor(file, t.name) });
  }
  return {
    weights: buildWeightSource(config, engineTensors(config, tensors), src.name, 'the GGUF metadata'),
    tokenizer,
    source: `local:${src.name}`,
  };
}

/**
 * llama.cpp's "phi3" LongRoPE, as convert_hf_to_gguf.py writes it: rope_factors_short / _long (one
 * per rotary frequency), the original length, and the attention factor (none: transformers' from the
 * lengths). The studio runs the short factors up to the original length, as for Phi3ForCausalLM.
 */
async function phi3LongRope(file: GgufFile, config: ModelConfig): Promise<RopeScaling> {
  const name = file.source.name;
  const rotary = config.rotaryDim ?? config.headDim;
  const factors = async (t: string) => {
    const f = file.tensors.has(t) ? await readGgufTensor(file, t) : undefined;
    if (!f || f.length !== rotary / 2 || !f.every((v) => Number.isFinite(v) && v > 0))
      throw new FormatError(
        name,
        `has ${t} of ${f?.length ?? 0} values, expected ${rotary / 2} positive factors (one per rotary frequency)`,
        'Use the original file',
      );
    return Array.from(f);
  };
  const original = metaInt(file, 'phi3.rope.scaling.original_context_length');
  const scale = config.maxPositions / original;
  const given = meta(file, 'phi3.rope.scaling.attn_factor');
  return {
    type: 'longrope',
    shortFactor: await factors('rope_factors_short.weight'),
    longFactor: await factors('rope_factors_long.weight'),
    originalMaxPositions: original,
    attentionFactor:
      given === undefined ? (scale <= 1 ? 1 : Math.sqrt(1 + Math.log(scale) / Math.log(original))) : metaNum(file, 'phi3.rope.scaling.attn_factor', 1),
  };
}
