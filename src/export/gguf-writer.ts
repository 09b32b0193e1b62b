// GGUF v3 export for llama.cpp: quantized Linears as Q8_0 (symmetric 8-bit groups of 32) or Q4_1
// (groups of 32 with a zero point, 2- to 4-bit codes in 4-bit fields) built from the stored codes,
// scales and zero points; everything else F32; llama.* (qwen2.*, qwen3.* for Qwen) and tokenizer.ggml.*
// metadata (SentencePiece "llama" vocabularies as stored, byte-level BPE as a "gpt2" vocabulary with
// merges); Q/K rows in the interleaved rotary layout llama.cpp expects of "llama" models. A Linear whose rows are not whole 32-wide blocks
// (stories260K's 172-wide down_proj) cannot be a GGML quantized tensor: it is written as F32 holding
// exactly the dequantized values the studio evaluates, and the export says so.
// The header is written first (all sizes are known from shapes), then tensor data one at a time.
import type { ModelConfig, Tokenizer } from '../core/model-config';
import { GGML_TYPE } from '../formats/gguf';
import { sentencePieceVocabFromTokenizerJson } from '../formats/convert-hf';
import { ropeExactPositions, ropeFrequencies } from '../reference/rope';
import { gpt2VocabFromTokenizerJson, type Gpt2Vocab } from '../formats/gguf-gpt2';
import { HfTokenizer } from '../formats/hf-tokenizer';
import { isPartialRotary } from '../formats/partial-rotary';
import { SentencePieceBpeTokenizer, type PieceType } from '../formats/sentencepiece-bpe';
import { biasedLinears, globalNames, headNormNames, linearHasBias, linearName, normNames } from '../core/tensor-names';
import type { QuantizedModel } from '../quant/quantized-model';
import { encodeGgmlRows, ggmlBlockBytes, ggmlFitProblem, GGML_BLOCK, type GgmlQuantType } from './gguf-blocks';
import {
  checkStoredLinear,
  dequantizeLinear,
  hfRowOrder,
  linearSlots,
  permuteFloatRows,
  permuteQuantizedRows,
  rotaryPermutation,
  transformedSource,
  type ExportInput,
} from './model-parts';
import { hfArchitecture } from './hf-files';
import { FUSED_LINEARS } from '../formats/fused-linears';
import { bytesOf, type ExportSink } from './sink';
import { HeaderWriter, writeKv, type Kv } from './gguf-header';
import { ExportUnavailableError, safeFileStem, type ExportAvailability, type ExportReport, type FloatFallback } from './types';

const ALIGNMENT = 32;
/** llama_ftype: the file type llama.cpp reports for a "mostly" quantized file. */
const FILE_TYPE: Record<number, number> = { [GGML_TYPE.Q4_1]: 3, [GGML_TYPE.Q5_1]: 9, [GGML_TYPE.Q8_0]: 7 };
const TYPE_NAME: Record<number, string> = { [GGML_TYPE.Q4_1]: 'Q4_1', [GGML_TYPE.Q5_1]: 'Q5_1', [GGML_TYPE.Q8_0]: 'Q8_0' };

const HF_TO_GGUF: Record<string, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};

/** The GGML type that holds this run's codes exactly, or why none does. */
export function ggufQuantType(q: QuantizedModel): { type: GgmlQuantType } | { reason: string } {
  const { bits, symmetric } = q.spec;
  const groups = q.spec.groupSize;
  if (bits === 8) {
    if (!symmetric)
      return {
        reason: "asymmetric 8-bit groups need a zero point, and GGUF's 8-bit type Q8_0 is symmetric (x = d·q); re-run with symmetric 8-bit groups of 32",
      };
    if (groups !== GGML_BLOCK)
      return {
        reason: `Q8_0 blocks are 32 inputs with one scale; this run used ${groups ? `groups of ${groups}` : 'one scale per output channel'} (re-run with group size 32)`,
      };
    return { type: GGML_TYPE.Q8_0 };
  }
  if (groups !== GGML_BLOCK)
    return {
      reason: `Q4_1 blocks are 32 inputs with one scale and minimum; this run used ${groups ? `groups of ${groups}` : 'one scale per output channel'} (re-run with group size 32)`,
    };
  return { type: GGML_TYPE.Q4_1 };
}

/** The vocabulary llama.cpp reads: SentencePiece ("llama") as stored, or byte-level BPE as a "gpt2" vocabulary. */
type GgufVocabulary = { kind: 'llama'; tok: SentencePieceBpeTokenizer } | { kind: 'gpt2'; vocab: Gpt2Vocab; addBos?: boolean };

/** Converted once per tokenizer and size: availability, the plan and the writer all ask (a 150k-token vocabulary takes a while). */
const vocabularies = new WeakMap<Tokenizer, Map<number, GgufVocabulary | { reason: string }>>();

function ggufVocabulary(tok: Tokenizer | undefined, vocabSize: number): GgufVocabulary | { reason: string } | null {
  if (!tok) return null;
  let bySize = vocabularies.get(tok);
  if (!bySize) vocabularies.set(tok, (bySize = new Map()));
  let v = bySize.get(vocabSize);
  if (!v) bySize.set(vocabSize, (v = convertVocabulary(tok, vocabSize)));
  return v;
}

function convertVocabulary(tok: Tokenizer, vocabSize: number): GgufVocabulary | { reason: string } {
  if (tok instanceof SentencePieceBpeTokenizer) return { kind: 'llama', tok };
  if (tok instanceof HfTokenizer) {
    const model = (tok.tokenizerJson as { model?: { byte_fallback?: unknown } } | null)?.model;
    if (model?.byte_fallback === true) {
      // A SentencePiece model converted to tokenizer.json (LLaMA 2, Mistral): back to "llama" pieces and scores.
      const sp = sentencePieceVocabFromTokenizerJson(tok.tokenizerJson, vocabSize, { bosId: tok.bosId, eosId: tok.eosId });
      if ('reason' in sp) return { reason: `${sp.reason}; export ONNX or GPTQ instead` };
      return { kind: 'llama', tok: new SentencePieceBpeTokenizer(sp) };
    }
    const v = gpt2VocabFromTokenizerJson(tok.tokenizerJson, vocabSize);
    if ('reason' in v) return { reason: `${v.reason}; export ONNX or GPTQ instead` };
    const addBos = (tok.tokenizerConfig as { add_bos_token?: unknown } | null)?.add_bos_token;
    return { kind: 'gpt2', vocab: v, ...(typeof addBos === 'boolean' ? { addBos } : {}) };
  }
  return {
    reason:
      'the GGUF exporter writes SentencePiece ("llama") and byte-level BPE ("gpt2") vocabularies; this tokenizer is neither (export ONNX or GPTQ instead)',
  };
}

/**
 * The llama.cpp architecture a model is written as: Qwen2/2.5 as "qwen2" (q/k/v biases), Qwen3 as
 * "qwen3" (attn_q_norm / attn_k_norm), both with Q/K rows as transformers stores them (llama.cpp
 * rotates them NEOX-style); a partial rotary Phi-3 as "phi3" (fused attn_qkv and ffn_up, NEOX, its
 * LongRoPE as rope_factors_short / _long); everything else LLaMA-like as "llama" (Q/K rows interleaved).
 */
export function ggufArchitecture(cfg: ModelConfig): 'llama' | 'qwen2' | 'qwen3' | 'phi3' {
  const hf = hfArchitecture(cfg); // a Qwen GGUF's config names its GGUF architecture
  if (hf === 'Qwen2ForCausalLM') return 'qwen2';
  if (hf === 'Qwen3ForCausalLM') return 'qwen3';
  // partial rotary Phi-3 (Phi-4-mini): llama.cpp's "phi3", fused Linears, NEOX rotation over rope.dimension_count
  if (hf === 'Phi3ForCausalLM') return 'phi3';
  return 'llama';
}

interface GgufPlan {
  type: GgmlQuantType;
  floatTensors: FloatFallback[];
}

/** Why this model (whatever the run) cannot be a GGUF file llama.cpp reads, or null. */
export function ggufModelProblem(cfg: ModelConfig, tokenizer?: Tokenizer): string | null {
  if (cfg.arch === 'opt')
    return `llama.cpp has no OPT architecture, so no GGUF file it reads can hold ${cfg.sourceArchitecture}; export ONNX, GPTQ (v1 or v2) or the full-precision folder instead`;
  const arch = ggufArchitecture(cfg);
  // llama.cpp's "llama" takes every Linear's bias (bq, bk, bv, bo, ffn_*_b), "qwen2" q's, k's and v's, the others none
  const unheld = biasedLinears({
    qkvBias: cfg.qkvBias && arch !== 'llama' && arch !== 'qwen2',
    outBias: cfg.outBias && arch !== 'llama',
    mlpBias: cfg.mlpBias && arch !== 'llama',
  });
  if (unheld.length)
    return `${cfg.sourceArchitecture} has biases on ${unheld.join(', ')}, which llama.cpp's "${arch}" architecture has no tensors for; export ONNX, GPTQ (v1 or v2) or the full-precision folder instead`;
  if (cfg.noRopeLayers?.length)
    return `${cfg.sourceArchitecture} has layers without RoPE (${cfg.noRopeLayers.length} of ${cfg.layers}), which llama.cpp's "llama" architecture rotates; export ONNX, GPTQ (v1 or v2) or the full-precision folder instead`;
  if (isPartialRotary(cfg) && arch !== 'phi3')
    return `${cfg.sourceArchitecture} turns ${cfg.rotaryDim} of each head's ${cfg.headDim} dimensions (partial rotary), which llama.cpp's "${arch}" architecture does not allow; export ONNX instead`;
  if (arch === 'qwen2' && cfg.qkNorm) return `${cfg.sourceArchitecture} normalises q and k per head, which llama.cpp's "qwen2" architecture has no tensors for`;
  if (arch !== 'llama' && cfg.ropeScaling && !(arch === 'phi3' && cfg.ropeScaling.type === 'longrope'))
    return `the GGUF exporter writes RoPE scaling for llama.cpp's "llama" architecture only; this ${cfg.sourceArchitecture} uses ${cfg.ropeScaling.type} scaling (export ONNX or GPTQ instead)`;
  const voc = ggufVocabulary(tokenizer, cfg.vocab);
  if (voc && 'reason' in voc) return voc.reason;
  return null;
}

/** llama.cpp's "phi3" fused tensors and their parts (gate's rows first in ffn_up). */
const PHI3_GGUF_FUSED: [string, string[]][] = [
  ['attn_qkv', ['attn_q', 'attn_k', 'attn_v']],
  ['ffn_up', ['ffn_gate', 'ffn_up']],
];

/**
 * The Linears of a "phi3" file kept as F32 because a part they are fused with does not fit the
 * type: a fused tensor has one type (its quantized parts' exact dequantized values then).
 */
function phi3FloatParts(q: QuantizedModel, type: GgmlQuantType): Set<string> {
  const out = new Set<string>();
  for (let layer = 0; layer < q.config.layers; layer++)
    for (const { roles } of FUSED_LINEARS) {
      const names = roles.map((r) => linearName(q.config.arch, layer, r));
      const fits = names.map((n) => q.linears.get(n)).map((l) => l !== undefined && !ggmlFitProblem(l, type));
      if (fits.some((f) => !f)) names.forEach((n, i) => fits[i] && out.add(n));
    }
  return out;
}

/** The block tensors with each fused group's parts joined in its place (rows stacked; one type). */
function fusePhi3GgufTensors(tensors: GgufTensor[]): GgufTensor[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out: GgufTensor[] = [];
  const done = new Set<string>();
  for (const t of tensors) {
    const m = /^blk\.(\d+)\.([a-z_]+)\.weight$/.exec(t.name);
    const group = m && PHI3_GGUF_FUSED.find(([, parts]) => parts.includes(m[2]));
    if (!m || !group) {
      out.push(t);
      continue;
    }
    const [fused, parts] = group;
    if (done.has(`${m[1]}.${fused}`)) continue;
    done.add(`${m[1]}.${fused}`);
    const all = parts.map((p) => byName.get(`blk.${m[1]}.${p}.weight`)!);
    if (all.some((x) => x.type !== all[0].type)) throw new Error(`gguf: the parts of blk.${m[1]}.${fused} have different types`);
    out.push({
      name: `blk.${m[1]}.${fused}.weight`,
      ne: [all[0].ne[0], all.reduce((a, x) => a + x.ne[1], 0)],
      type: all[0].type,
      byteLength: all.reduce((a, x) => a + x.byteLength, 0),
      bytes: async () => {
        const chunks = await Promise.all(all.map((x) => x.bytes()));
        const joined = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          joined.set(c, at);
          at += c.length;
        }
        return joined;
      },
    });
  }
  return out;
}

function plan(q: QuantizedModel, tokenizer?: Tokenizer): GgufPlan | { reason: string } {
  const problem = ggufModelProblem(q.config, tokenizer);
  if (problem) return { reason: problem };
  const t = ggufQuantType(q);
  if ('reason' in t) return t;
  const floatTensors: FloatFallback[] = [];
  for (const l of q.linears.values()) {
    const bad = checkStoredLinear(l);
    if (bad) return { reason: bad };
    const fit = ggmlFitProblem(l, t.type);
    if (fit) floatTensors.push({ tensor: `${l.name}.weight`, why: fit });
  }
  if (ggufArchitecture(q.config) === 'phi3')
    for (const name of phi3FloatParts(q, t.type)) floatTensors.push({ tensor: `${name}.weight`, why: 'fused with a part kept as F32' });
  return { type: t.type, floatTensors };
}

export function ggufAvailability(q: QuantizedModel, tokenizer?: Tokenizer): ExportAvailability {
  const base = { format: 'gguf' as const, folder: false };
  const p = plan(q, tokenizer);
  if ('reason' in p) return { ...base, suggestedName: `${safeFileStem(q.config.name)}.gguf`, available: false, reason: p.reason };
  const name = TYPE_NAME[p.type];
  const held = p.type === GGML_TYPE.Q4_1 && q.spec.bits < 4 ? ` (${q.spec.bits}-bit codes in 4-bit fields)` : '';
  const sym = p.type === GGML_TYPE.Q4_1 && q.spec.symmetric ? `; symmetric zero ${2 ** (q.spec.bits - 1)} stored as m = −${2 ** (q.spec.bits - 1)}·d` : '';
  let reason = `llama.cpp "${ggufArchitecture(q.config)}" model, quantized Linears as ${name}${held}: stored codes exactly, scales and minimums rounded to f16${sym}; the rest F32`;
  const voc = ggufVocabulary(tokenizer, q.config.vocab);
  if (voc && 'kind' in voc && voc.kind === 'gpt2' && voc.vocab.note) reason += `; ${voc.vocab.note}`;
  if (p.floatTensors.length) {
    const roles = [...new Set(p.floatTensors.map((f) => f.tensor.replace(/^model\.layers\.\d+\./, '')))];
    reason += `. Kept as F32 (the exact dequantized values the studio evaluates), ${p.floatTensors.length} tensors (${roles.join(', ')}): ${p.floatTensors[0].why}`;
  }
  return { ...base, suggestedName: `${safeFileStem(q.config.name)}-${name}.gguf`, available: true, reason, floatTensors: p.floatTensors };
}

const GGUF_TOKEN_TYPE: Record<PieceType, number> = { normal: 1, unknown: 2, control: 3, user: 4, unused: 5, byte: 6 };

function metadata(cfg: ModelConfig, voc: GgufVocabulary, fileType: number, description: string): [string, Kv][] {
  const a = ggufArchitecture(cfg);
  return [
    ['general.architecture', { t: 'str', v: a }],
    ['general.name', { t: 'str', v: cfg.name }],
    ['general.description', { t: 'str', v: description }],
    ['general.file_type', { t: 'u32', v: fileType }],
    ['general.quantization_version', { t: 'u32', v: 2 }],
    // LongRoPE's short factors (ropeFactors) and dynamic NTK's unscaled frequencies (llama.cpp has no
    // dynamic scaling) hold only up to the original length: llama.cpp is told that one
    // (llama.cpp's "phi3" switches LongRoPE's factors at the original length itself, as transformers does)
    [`${a}.context_length`, { t: 'u32', v: a === 'phi3' ? cfg.maxPositions : Math.min(cfg.maxPositions, ropeExactPositions(cfg)) }],
    [`${a}.embedding_length`, { t: 'u32', v: cfg.hidden }],
    [`${a}.block_count`, { t: 'u32', v: cfg.layers }],
    [`${a}.feed_forward_length`, { t: 'u32', v: cfg.intermediate }],
    [`${a}.rope.dimension_count`, { t: 'u32', v: cfg.rotaryDim ?? cfg.headDim }],
    [`${a}.attention.head_count`, { t: 'u32', v: cfg.heads }],
    [`${a}.attention.head_count_kv`, { t: 'u32', v: cfg.kvHeads }],
    [`${a}.attention.key_length`, { t: 'u32', v: cfg.headDim }],
    [`${a}.attention.value_length`, { t: 'u32', v: cfg.headDim }],
    [`${a}.attention.layer_norm_rms_epsilon`, { t: 'f32', v: cfg.normEps }],
    [`${a}.rope.freq_base`, { t: 'f32', v: cfg.ropeTheta }],
    // convert_hf_to_gguf.py: linear scaling as metadata; llama3 as the rope_freqs tensor (ropeFactors),
    // and so YaRN's frequencies (its attention factor is in the q/k weights, llama.cpp adds none).
    ...(cfg.ropeScaling?.type === 'linear'
      ? ([
          [`${a}.rope.scaling.type`, { t: 'str', v: 'linear' }],
          [`${a}.rope.scaling.factor`, { t: 'f32', v: cfg.ropeScaling.factor }],
        ] as [string, Kv][])
      : []),
    // convert_hf_to_gguf.py's Phi-3: LongRoPE's original length and attention factor (1: q and k carry it)
    ...(a === 'phi3' && cfg.ropeScaling?.type === 'longrope'
      ? ([
          [`${a}.rope.scaling.original_context_length`, { t: 'u32', v: cfg.ropeScaling.originalMaxPositions }],
          [`${a}.rope.scaling.attn_factor`, { t: 'f32', v: 1 }],
        ] as [string, Kv][])
      : []),
    // (0: none, as convert_hf_to_gguf.py writes Phi-4's)
    ...(a === 'phi3' ? ([[`${a}.attention.sliding_window`, { t: 'u32', v: cfg.slidingWindow ?? 0 }]] as [string, Kv][]) : []),
    [`${a}.vocab_size`, { t: 'u32', v: cfg.vocab }],
    ...(voc.kind === 'llama' ? sentencePieceMetadata(voc.tok) : gpt2Metadata(voc.vocab, cfg, voc.addBos)),
  ];
}

function sentencePieceMetadata(tok: SentencePieceBpeTokenizer): [string, Kv][] {
  const v = tok.vocab;
  return [
    ['tokenizer.ggml.model', { t: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { t: 'str[]', v: v.pieces.map((p) => p.replaceAll(' ', '\u2581')) }],
    ['tokenizer.ggml.scores', { t: 'f32[]', v: v.scores }],
    ['tokenizer.ggml.token_type', { t: 'i32[]', v: v.types.map((t) => GGUF_TOKEN_TYPE[t]) }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: v.bosId }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: v.eosId }],
    ['tokenizer.ggml.unknown_token_id', { t: 'u32', v: v.unkId }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: true }],
    ['tokenizer.ggml.add_eos_token', { t: 'bool', v: false }],
    ['tokenizer.ggml.add_space_prefix', { t: 'bool', v: v.addSpacePrefix }],
  ];
}

/** As convert_hf_to_gguf.py's _set_vocab_gpt2: no scores, merges, add_bos_token only where tokenizer_config.json says. */
function gpt2Metadata(v: Gpt2Vocab, cfg: ModelConfig, addBos: boolean | undefined): [string, Kv][] {
  return [
    ['tokenizer.ggml.model', { t: 'str', v: 'gpt2' }],
    ['tokenizer.ggml.pre', { t: 'str', v: v.pre }],
    ['tokenizer.ggml.tokens', { t: 'str[]', v: v.tokens }],
    ['tokenizer.ggml.token_type', { t: 'i32[]', v: v.types }],
    ['tokenizer.ggml.merges', { t: 'str[]', v: v.merges }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: cfg.bosId }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: cfg.eosId }],
    ...(addBos === undefined ? [] : ([['tokenizer.ggml.add_bos_token', { t: 'bool', v: addBos }]] as [string, Kv][])),
  ];
}

/**
 * llama.cpp's rope_freqs: frequency i is divided by factor i. For llama3 scaling, the ratio of the
 * unscaled to the scaled frequency (convert_hf_to_gguf.py computes the same factors), and so for YaRN;
 * LongRoPE's short factors; none otherwise.
 */
export function ropeFactors(cfg: ModelConfig): Float32Array | null {
  const s = cfg.ropeScaling;
  if (!s || s.type === 'linear' || s.type === 'dynamic') return null;
  if (s.type === 'factors') return Float32Array.from(s.factors);
  // LongRoPE: llama.cpp's "llama" then uses the short factors at every length (the q/k rows carry the
  // attention factor, folded on load), the model the studio computes up to the original length.
  if (s.type === 'longrope') return Float32Array.from(s.shortFactor);
  const base = ropeFrequencies(cfg.headDim, cfg.ropeTheta);
  const scaled = ropeFrequencies(cfg.headDim, cfg.ropeTheta, s);
  return Float32Array.from(base, (f, i) => f / scaled[i]);
}

interface GgufTensor {
  name: string;
  /** ggml order: ne[0] is the row length. */
  ne: number[];
  type: number;
  byteLength: number;
  bytes(): Promise<Uint8Array>;
}

export async function exportGguf(inp: ExportInput, sink: ExportSink, opts: { fileName?: string } = {}): Promise<ExportReport> {
  const q = inp.quantized;
  const avail = ggufAvailability(q, inp.model.tokenizer);
  const p = plan(q, inp.model.tokenizer);
  if (!avail.available || 'reason' in p) throw new ExportUnavailableError('gguf', avail.reason);
  const cfg = q.config;
  const src = transformedSource(inp);
  const tensors: GgufTensor[] = [];
  const f32 = (name: string, shape: number[], get: () => Promise<Float32Array>): GgufTensor => ({
    name,
    ne: [...shape].reverse(),
    type: GGML_TYPE.F32,
    byteLength: shape.reduce((a, b) => a * b, 4),
    bytes: async () => bytesOf(await get()),
  });
  const g = globalNames('llama');
  const phi3 = ggufArchitecture(cfg) === 'phi3';
  const s = cfg.ropeScaling;
  if (phi3 && s?.type === 'longrope') {
    tensors.push(f32('rope_factors_long.weight', [s.longFactor.length], async () => Float32Array.from(s.longFactor)));
    tensors.push(f32('rope_factors_short.weight', [s.shortFactor.length], async () => Float32Array.from(s.shortFactor)));
  }
  const factors = phi3 ? null : ropeFactors(cfg);
  if (factors) tensors.push(f32('rope_freqs.weight', [factors.length], async () => factors));
  tensors.push(f32('token_embd.weight', [cfg.vocab, cfg.hidden], () => src.get(g.embed)));
  // LLaMA's Q/K rows interleaved for llama.cpp's rotation; Qwen's and Phi-3's as transformers stores them (NEOX)
  const rotary = ggufArchitecture(cfg) === 'llama' ? 'interleaved' : 'half';
  const floatGroups = phi3 ? phi3FloatParts(inp.quantized, p.type) : new Set<string>();
  for (const slot of linearSlots(inp.quantized)) {
    const base = `blk.${slot.layer}.${HF_TO_GGUF[slot.name.replace(/^model\.layers\.\d+\./, '')]}`;
    const ggufName = `${base}.weight`;
    // NEOX architectures read Q/K in transformers' order (partial rotary's rows put back, hfRowOrder)
    const perm = rotary === 'half' ? hfRowOrder(cfg, slot.role) : rotaryPermutation(cfg, slot.role, rotary);
    const shape = src.shapes.get(`${slot.name}.weight`)!;
    if (slot.role === 'q') pushNorms(slot.layer);
    const fit = slot.q
      ? floatGroups.has(slot.name)
        ? 'fused with a part kept as F32'
        : ggmlFitProblem(slot.q, p.type)
      : 'left in full precision by the method';
    if (slot.q && !fit) {
      const stored = slot.q;
      const bytes = ((stored.rows * stored.cols) / GGML_BLOCK) * ggmlBlockBytes(p.type);
      tensors.push({
        name: ggufName,
        ne: [stored.cols, stored.rows],
        type: p.type,
        byteLength: bytes,
        bytes: async () => encodeGgmlRows(perm ? permuteQuantizedRows(stored, perm) : stored, p.type),
      });
    } else {
      const stored = slot.q;
      tensors.push(
        f32(ggufName, shape, async () => {
          const w = stored ? dequantizeLinear(stored) : await src.get(`${slot.name}.weight`);
          return perm ? permuteFloatRows(w, shape[1], perm) : w;
        }),
      );
    }
    // biases (blk.N.attn_q.bias ...): Qwen2's q/k/v, a LLaMA's with attention_bias / mlp_bias
    if (linearHasBias(cfg, slot.role))
      tensors.push(
        f32(`${base}.bias`, [shape[0]], async () => {
          const b = await src.get(`${slot.name}.bias`);
          return perm ? permuteFloatRows(b, 1, perm) : b;
        }),
      );
  }
  tensors.push(f32('output_norm.weight', [cfg.hidden], () => src.get(`${g.finalNorm}.weight`)));
  if (!cfg.tiedEmbeddings) tensors.push(f32('output.weight', [cfg.vocab, cfg.hidden], () => src.get(g.lmHead)));

  function pushNorms(layer: number) {
    const n = normNames('llama', layer);
    tensors.push(f32(`blk.${layer}.attn_norm.weight`, [cfg.hidden], () => src.get(`${n.attn}.weight`)));
    tensors.push(f32(`blk.${layer}.ffn_norm.weight`, [cfg.hidden], () => src.get(`${n.mlp}.weight`)));
    if (cfg.qkNorm) {
      // Qwen3's per-head norms of q and k
      const hn = headNormNames(layer);
      tensors.push(f32(`blk.${layer}.attn_q_norm.weight`, [cfg.headDim], () => src.get(`${hn.q}.weight`)));
      tensors.push(f32(`blk.${layer}.attn_k_norm.weight`, [cfg.headDim], () => src.get(`${hn.k}.weight`)));
    }
  }

  if (phi3) tensors.splice(0, tensors.length, ...fusePhi3GgufTensors(tensors));

  const description = `webgpu-quant-studio export of ${inp.model.source}: ${avail.reason}`;
  const h = new HeaderWriter();
  h.raw(new TextEncoder().encode('GGUF'));
  h.u32(3);
  h.u64(tensors.length);
  const voc = ggufVocabulary(inp.model.tokenizer, cfg.vocab);
  if (!voc || 'reason' in voc) throw new ExportUnavailableError('gguf', voc ? voc.reason : 'the model has no tokenizer');
  const kvs = metadata(cfg, voc, FILE_TYPE[p.type], description);
  h.u64(kvs.length);
  for (const [k, v] of kvs) writeKv(h, k, v);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    h.str(t.name);
    h.u32(t.ne.length);
    t.ne.forEach((d) => h.u64(d));
    h.u32(t.type);
    h.u64(offset);
    offset = Math.ceil((offset + t.byteLength) / ALIGNMENT) * ALIGNMENT;
  }
  const fileName = opts.fileName ?? avail.suggestedName;
  const w = await sink.createFile(fileName);
  await w.write(h.finish(ALIGNMENT));
  const dataStart = w.written;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    const pad = dataStart + offsets[i] - w.written;
    if (pad < 0) throw new Error(`GGUF layout: ${t.name} overlaps the previous tensor`);
    if (pad > 0) await w.write(new Uint8Array(pad));
    const b = await t.bytes();
    if (b.byteLength !== t.byteLength) throw new Error(`${t.name}: ${b.byteLength} bytes, expected ${t.byteLength}`);
    await w.write(b);
  }
  await w.close();
  const notes = [avail.reason, ...(avail.floatTensors ?? []).map((f) => `${f.tensor}: F32 (${f.why})`)];
  return { format: 'gguf', files: [{ name: fileName, bytes: w.written }], notes };
}
