// Tiny random checkpoints laid out as current transformers' save_pretrained writes them, for the
// LLaMA family (LLaMA 2/3/3.1/3.2, TinyLlama, SmolLM2, Mistral, Qwen2, Granite) and OPT: config.json with the
// keys each config class serializes (4.x: torch_dtype, rope_theta + rope_scaling; 5.x: dtype,
// rope_parameters), generation_config.json, tokenizer.json (byte-level BPE or SentencePiece-style
// byte-fallback BPE), tokenizer_config.json with added_tokens_decoder and a chat template, and
// safetensors in F32/F16/BF16 with {"format": "pt"} metadata, sharded with an index when asked.
// Tensor names and shapes come from the config keys here, not from the studio's loader, and the
// tied LM head is left out of the files as transformers does.
import { bytesSource, type ByteSource } from '../byte-source';
import { floatToHalf } from '../dtype';
import { byteLevelTokenizerJson } from '../byte-level-bpe';
import { GPT2_PRE_TOKENIZERS } from '../gguf-gpt2';
import { randomTensor } from '../random-model';
import { ropeAttentionScaling, transformersBiases } from './transformers-twin';

type Json = Record<string, unknown>;
type ByteLevelPre = 'gpt-2' | 'smollm' | 'llama-bpe' | 'qwen2';
export type TorchDtype = 'float32' | 'float16' | 'bfloat16';

export interface CheckpointCase {
  /** Folder name and test label. */
  name: string;
  config: Json;
  /** The dtype the weights are stored in (config's torch_dtype / dtype says the same). */
  dtype: TorchDtype;
  /** 1: model.safetensors; more: model-0000i-of-0000n.safetensors + model.safetensors.index.json. */
  shards: number;
  tokenizer: 'byte-level' | 'sentencepiece';
  /** The byte-level pre-tokenizer of the model's tokenizer.json (GPT-2/OPT, SmolLM, LLaMA 3, Qwen2); default GPT-2's. */
  preTokenizer?: ByteLevelPre;
  /** Extra tokenizer_config.json fields (chat_template, bos/eos tokens...). */
  tokenizerConfig?: Json;
  /** Special tokens added at the end of the vocabulary (ids from vocab - n), as added_tokens. */
  addedTokens?: string[];
  generationConfig?: Json;
  /** Scale of bias tensors, so a dropped bias shows in the logits. */
  biasScale?: number;
}

/** Every tensor a transformers model of this config holds, in state_dict order, with its shape. */
export function transformersStateDict(c: Json): [string, number[]][] {
  const n = (k: string) => c[k] as number;
  const out: [string, number[]][] = [];
  const arch = (c.architectures as string[])[0];
  if (arch === 'OPTForCausalLM') {
    const H = n('hidden_size'),
      P = (c.word_embed_proj_dim as number | undefined) ?? H;
    out.push(['model.decoder.embed_tokens.weight', [n('vocab_size'), P]]);
    out.push(['model.decoder.embed_positions.weight', [n('max_position_embeddings') + 2, H]]);
    if (P !== H) out.push(['model.decoder.project_out.weight', [P, H]], ['model.decoder.project_in.weight', [H, P]]);
    if (c.do_layer_norm_before !== false && c._remove_final_layer_norm !== true) {
      out.push(['model.decoder.final_layer_norm.weight', [H]], ['model.decoder.final_layer_norm.bias', [H]]);
    }
    for (let l = 0; l < n('num_hidden_layers'); l++) {
      const p = `model.decoder.layers.${l}`;
      for (const r of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) out.push([`${p}.self_attn.${r}.weight`, [H, H]], [`${p}.self_attn.${r}.bias`, [H]]);
      out.push([`${p}.self_attn_layer_norm.weight`, [H]], [`${p}.self_attn_layer_norm.bias`, [H]]);
      out.push([`${p}.fc1.weight`, [n('ffn_dim'), H]], [`${p}.fc1.bias`, [n('ffn_dim')]]);
      out.push([`${p}.fc2.weight`, [H, n('ffn_dim')]], [`${p}.fc2.bias`, [H]]);
      out.push([`${p}.final_layer_norm.weight`, [H]], [`${p}.final_layer_norm.bias`, [H]]);
    }
    out.push(['lm_head.weight', [n('vocab_size'), P]]);
    return out;
  }
  const H = n('hidden_size'),
    heads = n('num_attention_heads'),
    kv = (c.num_key_value_heads as number | undefined) ?? heads,
    // Qwen3Config's head_dim defaults to 128
    D = (c.head_dim as number | null | undefined) ?? (arch === 'Qwen3ForCausalLM' ? 128 : H / heads),
    I = n('intermediate_size');
  const bias = transformersBiases(c);
  out.push(['model.embed_tokens.weight', [n('vocab_size'), H]]);
  for (let l = 0; l < n('num_hidden_layers'); l++) {
    const p = `model.layers.${l}`;
    const lin = (name: string, o: number, i: number, bias: boolean) => {
      out.push([`${p}.${name}.weight`, [o, i]]);
      if (bias) out.push([`${p}.${name}.bias`, [o]]);
    };
    if (arch === 'Phi3ForCausalLM') {
      // Phi3Attention's qkv_proj and Phi3MLP's gate_up_proj, as its state dict orders them
      lin('self_attn.o_proj', H, heads * D, false);
      lin('self_attn.qkv_proj', (heads + 2 * kv) * D, H, false);
      lin('mlp.gate_up_proj', 2 * I, H, false);
      lin('mlp.down_proj', H, I, false);
    } else {
      lin('self_attn.q_proj', heads * D, H, bias.qkv);
      lin('self_attn.k_proj', kv * D, H, bias.qkv);
      lin('self_attn.v_proj', kv * D, H, bias.qkv);
      lin('self_attn.o_proj', H, heads * D, bias.o);
      if (arch === 'Qwen3ForCausalLM') out.push([`${p}.self_attn.q_norm.weight`, [D]], [`${p}.self_attn.k_norm.weight`, [D]]);
      lin('mlp.gate_proj', I, H, bias.mlp);
      lin('mlp.up_proj', I, H, bias.mlp);
      lin('mlp.down_proj', H, I, bias.mlp);
    }
    out.push([`${p}.input_layernorm.weight`, [H]], [`${p}.post_attention_layernorm.weight`, [H]]);
  }
  out.push(['model.norm.weight', [H]], ['lm_head.weight', [n('vocab_size'), H]]);
  return out;
}

const SAFETENSORS_DTYPE: Record<TorchDtype, string> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** f32 -> bf16 bits, round to nearest even (torch's .to(torch.bfloat16)). */
function floatToBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The values as stored in `dtype`, read back to f32, and their bytes. */
export function storeAs(data: Float32Array, dtype: TorchDtype): { stored: Float32Array; bytes: Uint8Array } {
  if (dtype === 'float32') return { stored: data, bytes: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
  const bits = Uint16Array.from(data, dtype === 'float16' ? floatToHalf : floatToBf16);
  const stored = new Float32Array(data.length);
  if (dtype === 'bfloat16') {
    const u = new Uint32Array(stored.buffer);
    for (let i = 0; i < bits.length; i++) u[i] = bits[i] << 16;
  } else {
    for (let i = 0; i < bits.length; i++) {
      const h = bits[i],
        e = (h >> 10) & 31,
        m = h & 1023,
        s = h & 0x8000 ? -1 : 1;
      stored[i] = s * (e === 0 ? m * 2 ** -24 : e === 31 ? (m ? NaN : Infinity) : (1 + m / 1024) * 2 ** (e - 15));
    }
  }
  return { stored, bytes: new Uint8Array(bits.buffer) };
}

/** One safetensors file as the safetensors library writes it: header sorted by name, {"format":"pt"}, 8-byte padded. */
function safetensorsFile(tensors: { name: string; shape: number[]; bytes: Uint8Array }[], dtype: TorchDtype): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : 1));
  const header: Json = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of sorted) {
    header[t.name] = { dtype: SAFETENSORS_DTYPE[dtype], shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  while (json.length % 8 !== 0) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.byteLength), true);
  out.set(hb, 8);
  let p = 8 + hb.byteLength;
  for (const t of sorted) {
    out.set(t.bytes, p);
    p += t.bytes.byteLength;
  }
  return out;
}

const SPACE = '\u2581';

/** A SentencePiece-converted LLaMA/Mistral tokenizer.json: <unk> <s> </s>, 256 byte pieces, ▁-words, byte fallback. */
function sentencePieceTokenizerJson(vocabSize: number, added: string[], metaspace: boolean): Json {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = 3 + b;
  const pieces = [SPACE, ...'abcdefghijklmnopqrstuvwxyzTHEO.,!'.split('')];
  const merges: [string, string][] = [];
  for (const w of ['th', 'he', 'in', 'er', 'an']) merges.push([w[0], w[1]]);
  merges.push([SPACE, 't'], [`${SPACE}t`, 'he'], [SPACE, 'a']);
  const words = [...pieces, 'th', 'he', 'in', 'er', 'an', `${SPACE}t`, `${SPACE}the`, `${SPACE}a`];
  let id = 259;
  for (const w of words) if (id < vocabSize - added.length && !(w in vocab)) vocab[w] = id++;
  for (; id < vocabSize - added.length; id++) vocab[`${SPACE}w${id}`] = id;
  const addedTokens = [
    { id: 0, content: '<unk>' },
    { id: 1, content: '<s>' },
    { id: 2, content: '</s>' },
    ...added.map((content, i) => ({ id: vocabSize - added.length + i, content })),
  ].map((t) => ({ ...t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  for (const t of addedTokens) vocab[t.content] = t.id;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    // Newer conversions (legacy=false) use a Metaspace pre-tokenizer; older ones Prepend + Replace.
    normalizer: metaspace
      ? null
      : {
          type: 'Sequence',
          normalizers: [
            { type: 'Prepend', prepend: SPACE },
            { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
          ],
        },
    pre_tokenizer: metaspace ? { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'first', split: false } : null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** GPT-2's byte-to-unicode table. */
function bytesToUnicode(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : 256 + extra++));
}

/** A byte-level BPE tokenizer.json (GPT-2 / LLaMA 3 / Qwen2 / SmolLM style) with the special tokens as added_tokens. */
/** Qwen2's tokenizer.json: its split regex (single digits), then byte-level mapping; NFC first. */
const QWEN2_PRE: Json = {
  type: 'Sequence',
  pretokenizers: [
    {
      type: 'Split',
      pattern: { Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+" },
      behavior: 'Isolated',
      invert: false,
    },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
  ],
};

function byteLevelJson(vocabSize: number, added: string[], pre: ByteLevelPre): Json {
  const b2u = bytesToUnicode();
  const v: Record<string, number> = {};
  b2u.forEach((ch, i) => (v[ch] = i));
  const G = b2u[32];
  const merges = [`${G} t`, 'h e', `${G}t he`, `${G} a`, 'i n'];
  let id = 256;
  for (const m of merges) v[m.replace(' ', '')] = id++;
  for (; id < vocabSize - added.length; id++) v[`<extra_${id}>`] = id;
  added.forEach((t, i) => (v[t] = vocabSize - added.length + i));
  const json = byteLevelTokenizerJson(v, merges.join('\n'));
  if (pre === 'qwen2') {
    json.pre_tokenizer = QWEN2_PRE;
    json.normalizer = { type: 'NFC' };
  } else json.pre_tokenizer = GPT2_PRE_TOKENIZERS[pre];
  // LLaMA 3's tokenizer.json looks whole words up before merging.
  if (pre === 'llama-bpe') (json.model as Json).ignore_merges = true;
  json.added_tokens = added.map((content, i) => ({
    id: vocabSize - added.length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  return json;
}

function addedTokensDecoder(tok: Json): Json {
  const out: Json = {};
  for (const t of tok.added_tokens as { id: number; content: string }[]) {
    out[String(t.id)] = { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  }
  return out;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');

export interface WrittenCheckpoint {
  files: ByteSource[];
  /** Every tensor of the model as stored (after dtype rounding), by transformers name; lm_head included even when tied (= the embedding). */
  tensors: Map<string, Float32Array>;
  config: Json;
  /** Granite: the factor its multipliers put on each weight they fold into; LongRoPE, YaRN: their attention factor on q and k (the loader's values are the stored ones times it). */
  foldFactors?: Map<string, number | number[]>;
  /** Partial rotary: for q's and k's tensors, the stored row each loaded row holds (the loader puts
   *  each head's pass-through dims where RoPE turns at frequency 0). */
  rowOrders?: Map<string, number[]>;
}

/**
 * Partial rotary (partial_rotary_factor < 1): each head of q and k, HF dims [rotary first half,
 * rotary second half, pass-through], is loaded as [rotary first half, first half of the
 * pass-through, rotary second half, the rest], so that the engine's pairs (i, i + D/2) are the HF
 * rotary pairs (i, i + R/2) and then pass-through dims paired with each other.
 */
function partialRotaryRowOrders(c: Json, tensors: Map<string, Float32Array>): Map<string, number[]> | undefined {
  const D = (c.head_dim as number | undefined) ?? (c.hidden_size as number) / (c.num_attention_heads as number);
  const R = Math.trunc(D * ((c.partial_rotary_factor as number | undefined) ?? 1));
  if (R === D) return undefined;
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const pass = (D - R) / 2;
  const head = [...range(0, R / 2), ...range(R, R + pass), ...range(R / 2, R), ...range(R + pass, D)];
  const out = new Map<string, number[]>();
  for (const [name, t] of tensors) {
    if (!/\.self_attn\.[qk]_proj\.(weight|bias)$/.test(name)) continue;
    const rowLength = name.endsWith('.weight') ? (c.hidden_size as number) : 1;
    const heads = t.length / rowLength / D;
    out.set(
      name,
      range(0, heads).flatMap((h) => head.map((d) => h * D + d)),
    );
  }
  return out;
}

/**
 * Where GraniteForCausalLM's multipliers (config.json, GraniteConfig's 1.0 where absent) go when moved
 * into the LLaMA weights that meet them first: the embedding's rows, o_proj's and down_proj's outputs,
 * q (times sqrt(head_dim), which the LLaMA score scale divides out again), and the final norm for the
 * logits' divisor, which with a tied head also undoes the embedding's factor that the head then carries.
 */
function graniteFoldFactors(c: Json): Map<string, number> {
  const m = (k: string) => (c[k] as number | undefined) ?? 1;
  const headDim = (c.head_dim as number | undefined) ?? (c.hidden_size as number) / (c.num_attention_heads as number);
  const tied = c.tie_word_embeddings === true;
  const out = new Map<string, number>([
    ['model.embed_tokens.weight', m('embedding_multiplier')],
    ['model.norm.weight', 1 / m('logits_scaling') / (tied ? m('embedding_multiplier') : 1)],
  ]);
  if (tied) out.set('lm_head.weight', m('embedding_multiplier'));
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    // a bias is a part of its Linear's output: the same factor
    for (const kind of ['weight', 'bias']) {
      out.set(`model.layers.${l}.self_attn.q_proj.${kind}`, m('attention_multiplier') * Math.sqrt(headDim));
      out.set(`model.layers.${l}.self_attn.o_proj.${kind}`, m('residual_multiplier'));
      out.set(`model.layers.${l}.mlp.down_proj.${kind}`, m('residual_multiplier'));
    }
  }
  return out;
}

/**
 * LongRoPE's and YaRN's attention factor, on RoPE's cos and sin in transformers: once loaded, on what
 * makes q and k (q_proj's and k_proj's rows and biases; Qwen3's q_norm and k_norm, which follow them)
 * in every layer that rotates.
 */
function attentionFoldFactors(c: Json, tensors: Map<string, Float32Array>, factor: number): Map<string, number | number[]> {
  const out = new Map<string, number | number[]>();
  const noRope = c.no_rope_layers as number[] | undefined;
  const D = (c.head_dim as number | undefined) ?? (c.hidden_size as number) / (c.num_attention_heads as number);
  const R = Math.trunc(D * ((c.partial_rotary_factor as number | undefined) ?? 1));
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    if (noRope && noRope[l] === 0) continue;
    const names = c.model_type === 'qwen3' ? ['q_norm.weight', 'k_norm.weight'] : ['q_proj.weight', 'k_proj.weight', 'q_proj.bias', 'k_proj.bias'];
    for (const n of names) {
      const name = `model.layers.${l}.self_attn.${n}`;
      const t = tensors.get(name);
      if (!t) continue;
      // partial rotary: cos and sin (and their factor) meet the first R dims of each head only
      const rows = n.endsWith('proj.weight') ? t.length / (c.hidden_size as number) : t.length;
      out.set(name, R === D ? factor : Array.from({ length: rows }, (_, r) => (r % D < R ? factor : 1)));
    }
  }
  return out;
}

/**
 * Is `got` what the loader must give for tensor `name`: the stored values bit for bit, or where
 * Granite's multipliers or a RoPE attention factor fold in, the stored values times the factor,
 * rounded once to f32; with partial rotary, q's and k's rows in the loader's order.
 */
export function isLoadedTensor(w: WrittenCheckpoint, name: string, got: Float32Array): boolean {
  let stored = w.tensors.get(name);
  if (!stored || stored.length !== got.length) return false;
  const order = w.rowOrders?.get(name);
  const fold = w.foldFactors?.get(name);
  if (order) {
    const row = stored.length / order.length;
    const from = stored;
    stored = new Float32Array(stored.length);
    order.forEach((r, i) => stored!.set(from.subarray(r * row, (r + 1) * row), i * row));
  }
  if (fold === undefined) {
    const a = new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
    const b = new Uint32Array(got.buffer, got.byteOffset, got.length);
    return a.every((v, i) => v === b[i]);
  }
  // one f32 rounding is at most 2^-24 relative; 2^-23 leaves room for the factor's own last bit
  // per-row factors are per stored row (before the loader's row order)
  const rows = Array.isArray(fold) ? fold.length : 1;
  const storedRow = (i: number) => {
    const r = Math.floor(i / (stored!.length / rows));
    return order ? order[r] : r;
  };
  return stored.every((v, i) => {
    const f = Array.isArray(fold) ? fold[storedRow(i)] : fold;
    return Math.abs(got[i] - v * f) <= Math.abs(v * f) * 2 ** -23;
  });
}

/** Phi-3's fused Linears also under the names of their parts (rows of q, k, v; of gate, up): what the loader must offer. */
function addPhi3Parts(c: Json, tensors: Map<string, Float32Array>): void {
  const H = c.hidden_size as number,
    heads = c.num_attention_heads as number,
    kv = (c.num_key_value_heads as number | undefined) ?? heads,
    D = (c.head_dim as number | undefined) ?? H / heads,
    I = c.intermediate_size as number;
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}`;
    const qkv = tensors.get(`${p}.self_attn.qkv_proj.weight`)!;
    const gateUp = tensors.get(`${p}.mlp.gate_up_proj.weight`)!;
    tensors.set(`${p}.self_attn.q_proj.weight`, qkv.slice(0, heads * D * H));
    tensors.set(`${p}.self_attn.k_proj.weight`, qkv.slice(heads * D * H, (heads + kv) * D * H));
    tensors.set(`${p}.self_attn.v_proj.weight`, qkv.slice((heads + kv) * D * H));
    tensors.set(`${p}.mlp.gate_proj.weight`, gateUp.slice(0, I * H));
    tensors.set(`${p}.mlp.up_proj.weight`, gateUp.slice(I * H));
  }
}

/** Writes the case's folder in memory: seeded N(0, 0.02) weights (norms near 1), rounded to the case's dtype. */
export function writeCheckpoint(k: CheckpointCase, seed = 1): WrittenCheckpoint {
  const c = k.config;
  // tie_word_embeddings defaults to true in OPTConfig, false in the LLaMA-family configs.
  const tied = typeof c.tie_word_embeddings === 'boolean' ? c.tie_word_embeddings : c.model_type === 'opt';
  const tensors = new Map<string, Float32Array>();
  const stored: { name: string; shape: number[]; bytes: Uint8Array }[] = [];
  const embedName = c.model_type === 'opt' ? 'model.decoder.embed_tokens.weight' : 'model.embed_tokens.weight';
  for (const [name, shape] of transformersStateDict(c)) {
    if (name === 'lm_head.weight' && tied) {
      tensors.set(name, tensors.get(embedName)!);
      continue;
    }
    const raw = randomTensor(name, shape, seed).map((v) => (name.endsWith('.bias') ? v * (k.biasScale ?? 10) : v));
    const s = storeAs(raw, k.dtype);
    tensors.set(name, s.stored);
    stored.push({ name, shape, bytes: s.bytes });
  }
  if ((c.architectures as string[])[0] === 'Phi3ForCausalLM') addPhi3Parts(c, tensors);
  const files: ByteSource[] = [];
  const at = (n: string, bytes: Uint8Array) => files.push(bytesSource(`${k.name}/${n}`, bytes));
  at('config.json', enc(c));
  at(
    'generation_config.json',
    enc(
      k.generationConfig ?? {
        _from_model_config: true,
        bos_token_id: c.bos_token_id,
        eos_token_id: c.eos_token_id,
        transformers_version: c.transformers_version,
      },
    ),
  );
  if (k.shards <= 1) {
    at('model.safetensors', safetensorsFile(stored, k.dtype));
  } else {
    // save_pretrained fills shards in state_dict order up to max_shard_size.
    const total = stored.reduce((a, t) => a + t.bytes.byteLength, 0);
    const per = Math.ceil(total / k.shards);
    const groups: (typeof stored)[] = [[]];
    let size = 0;
    for (const t of stored) {
      if (size + t.bytes.byteLength > per && groups[groups.length - 1].length && groups.length < k.shards) {
        groups.push([]);
        size = 0;
      }
      groups[groups.length - 1].push(t);
      size += t.bytes.byteLength;
    }
    const pad = (i: number) => String(i).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    groups.forEach((g, i) => {
      const file = `model-${pad(i + 1)}-of-${pad(groups.length)}.safetensors`;
      for (const t of g) weightMap[t.name] = file;
      at(file, safetensorsFile(g, k.dtype));
    });
    const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
    const params = stored.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
    at('model.safetensors.index.json', enc({ metadata: { total_parameters: params, total_size: total }, weight_map: sortedMap }));
  }
  const vocab = c.vocab_size as number;
  const added = k.addedTokens ?? [];
  const tok =
    k.tokenizer === 'sentencepiece'
      ? sentencePieceTokenizerJson(vocab, added, c.model_type === 'mistral')
      : byteLevelJson(vocab, added, k.preTokenizer ?? 'gpt-2');
  at('tokenizer.json', enc(tok));
  // transformers 5 saves the chat template as chat_template.jinja beside tokenizer_config.json.
  const { chat_template: template, ...tokCfg } = k.tokenizerConfig ?? {};
  const separateTemplate = typeof c.transformers_version === 'string' && c.transformers_version.startsWith('5') && typeof template === 'string';
  if (separateTemplate) at('chat_template.jinja', new TextEncoder().encode(template as string));
  at(
    'tokenizer_config.json',
    enc({
      add_prefix_space: null,
      added_tokens_decoder: addedTokensDecoder(tok),
      clean_up_tokenization_spaces: false,
      extra_special_tokens: {},
      model_max_length: c.max_position_embeddings,
      tokenizer_class: k.tokenizer === 'sentencepiece' ? 'LlamaTokenizer' : 'PreTrainedTokenizerFast',
      ...tokCfg,
      ...(template !== undefined && !separateTemplate ? { chat_template: template } : {}),
    }),
  );
  if (c.model_type === 'opt') {
    // GPT2TokenizerFast also writes the slow tokenizer's files.
    const model = tok.model as { vocab: Record<string, number>; merges: string[] };
    at('vocab.json', enc(model.vocab));
    at('merges.txt', new TextEncoder().encode(`#version: 0.2\n${model.merges.join('\n')}\n`));
    at('special_tokens_map.json', enc({ bos_token: '</s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '</s>' }));
  }
  const granite = (c.architectures as string[])[0] === 'GraniteForCausalLM';
  const attentionFactor = ropeAttentionScaling(c);
  const rowOrders = partialRotaryRowOrders(c, tensors);
  return {
    files,
    tensors,
    config: c,
    ...(granite ? { foldFactors: graniteFoldFactors(c) } : {}),
    ...(attentionFactor !== 1 ? { foldFactors: attentionFoldFactors(c, tensors, attentionFactor) } : {}),
    ...(rowOrders ? { rowOrders } : {}),
  };
}
