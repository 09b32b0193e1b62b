// llama2.c checkpoints ("legacy" v0: 7 int32 header, then fp32 arrays) and tokenizer.bin.
// Weights keep llama2.c's layout, whose Q/K rows rotate interleaved pairs (ropeStyle 'interleaved').
import type { LoadedModel, ModelConfig } from '../core/model-config';
import { linearName, normNames } from '../core/tensor-names';
import { checkRange, type ByteSource } from './byte-source';
import { f32FromBytes } from './dtype';
import { FormatError } from './errors';
import { inferPieceTypes, SentencePieceBpeTokenizer, type SentencePieceVocab } from './sentencepiece-bpe';
import { checkTokenIds } from './token-ids';
import { buildWeightSource, type TensorEntry } from './weight-source';

const HEADER_BYTES = 28;
const MAX_DIM = 1 << 16;
const MAX_LAYERS = 1024;
const MAX_VOCAB = 1 << 20;
const MAX_SEQ = 1 << 20;
/** llama2.c export v1/v2 start with the magic "ak42". */
const LLAMA2C_V1_MAGIC = 0x616b3432;

export interface Llama2cHeader {
  dim: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocab: number;
  seqLen: number;
  shared: boolean;
}

function layout(h: Llama2cHeader): { name: string; shape: number[]; perLayer: boolean }[] {
  const hs = h.dim / h.heads;
  const kvDim = h.kvHeads * hs;
  return [
    { name: 'tok_embeddings', shape: [h.vocab, h.dim], perLayer: false },
    { name: 'rms_att', shape: [h.dim], perLayer: true },
    { name: 'wq', shape: [h.dim, h.dim], perLayer: true },
    { name: 'wk', shape: [kvDim, h.dim], perLayer: true },
    { name: 'wv', shape: [kvDim, h.dim], perLayer: true },
    { name: 'wo', shape: [h.dim, h.dim], perLayer: true },
    { name: 'rms_ffn', shape: [h.dim], perLayer: true },
    { name: 'w1', shape: [h.hidden, h.dim], perLayer: true },
    { name: 'w2', shape: [h.dim, h.hidden], perLayer: true },
    { name: 'w3', shape: [h.hidden, h.dim], perLayer: true },
    { name: 'rms_final', shape: [h.dim], perLayer: false },
    { name: 'freq_cis_real', shape: [h.seqLen, hs / 2], perLayer: false },
    { name: 'freq_cis_imag', shape: [h.seqLen, hs / 2], perLayer: false },
    ...(h.shared ? [] : [{ name: 'wcls', shape: [h.vocab, h.dim], perLayer: false }]),
  ];
}

export function llama2cExpectedBytes(h: Llama2cHeader): number {
  let floats = 0;
  for (const t of layout(h)) floats += t.shape.reduce((a, b) => a * b, 1) * (t.perLayer ? h.layers : 1);
  return HEADER_BYTES + floats * 4;
}

export async function readLlama2cHeader(src: ByteSource): Promise<Llama2cHeader> {
  const fix = 'Use a llama2.c model .bin exported by export.py --version 0 (the legacy format), e.g. stories15M.bin';
  if (src.size < HEADER_BYTES) throw new FormatError(src.name, `is ${src.size} bytes, too short for a llama2.c header (28 bytes)`, fix);
  const b = await src.read(0, HEADER_BYTES);
  const v = new DataView(b.buffer, b.byteOffset, HEADER_BYTES);
  const i = (k: number) => v.getInt32(4 * k, true);
  if (v.getUint32(0, true) === LLAMA2C_V1_MAGIC) {
    throw new FormatError(src.name, 'is a llama2.c version 1/2 export ("ak42" magic), which this loader does not read', fix);
  }
  const [dim, hidden, layers, heads, kvHeads, vocabRaw, seqLen] = [0, 1, 2, 3, 4, 5, 6].map(i);
  const vocab = Math.abs(vocabRaw);
  const bad = (what: string) =>
    new FormatError(
      src.name,
      `is not a llama2.c v0 model: its header is implausible (${what}): dim ${dim}, hidden ${hidden}, layers ${layers}, heads ${heads}, kv heads ${kvHeads}, vocab ${vocabRaw}, seq ${seqLen}`,
      fix,
    );
  if (!(dim > 0 && dim <= MAX_DIM)) throw bad('dim');
  if (!(hidden > 0 && hidden <= 8 * MAX_DIM)) throw bad('hidden_dim');
  if (!(layers > 0 && layers <= MAX_LAYERS)) throw bad('n_layers');
  if (!(heads > 0 && dim % heads === 0 && (dim / heads) % 2 === 0)) throw bad('n_heads must divide dim into an even head size');
  if (!(kvHeads > 0 && heads % kvHeads === 0)) throw bad('n_kv_heads must divide n_heads');
  if (!(vocab > 0 && vocab <= MAX_VOCAB)) throw bad('vocab_size');
  if (!(seqLen > 0 && seqLen <= MAX_SEQ)) throw bad('seq_len');
  const h: Llama2cHeader = { dim, hidden, layers, heads, kvHeads, vocab, seqLen, shared: vocabRaw > 0 };
  const need = llama2cExpectedBytes(h);
  if (src.size < need) {
    throw new FormatError(
      src.name,
      `is ${src.size} bytes but its header (dim ${dim}, ${layers} layers, vocab ${vocab}) needs ${need}`,
      'The file is truncated: download it again',
    );
  }
  // Arrays are laid out by kind across layers (all wq, then all wk...): a header with fewer layers
  // or a smaller vocabulary than the file holds would read every array from the wrong place.
  if (src.size > need) {
    throw new FormatError(
      src.name,
      `is ${src.size} bytes, ${src.size - need} more than a llama2.c model with its header (dim ${dim}, ${layers} layers, vocab ${vocab}, seq ${seqLen}) takes (${need})`,
      'Its header does not describe its arrays, or another file was appended to it: use the original .bin',
    );
  }
  return h;
}

export function llama2cConfig(h: Llama2cHeader, name: string): ModelConfig {
  return {
    name,
    arch: 'llama',
    sourceArchitecture: 'llama2.c',
    hidden: h.dim,
    intermediate: h.hidden,
    layers: h.layers,
    heads: h.heads,
    kvHeads: h.kvHeads,
    headDim: h.dim / h.heads,
    vocab: h.vocab,
    maxPositions: h.seqLen,
    normEps: 1e-5,
    ropeTheta: 10000,
    ropeStyle: 'interleaved',
    tiedEmbeddings: h.shared,
    qkvBias: false,
    outBias: false,
    mlpBias: false,
    activation: 'silu',
    bosId: 1,
    eosId: 2,
  };
}

const HF_NAME: Record<string, (l: number) => string> = {
  rms_att: (l) => `${normNames('llama', l).attn}.weight`,
  wq: (l) => `${linearName('llama', l, 'q')}.weight`,
  wk: (l) => `${linearName('llama', l, 'k')}.weight`,
  wv: (l) => `${linearName('llama', l, 'v')}.weight`,
  wo: (l) => `${linearName('llama', l, 'o')}.weight`,
  rms_ffn: (l) => `${normNames('llama', l).mlp}.weight`,
  w1: (l) => `${linearName('llama', l, 'gate')}.weight`,
  w2: (l) => `${linearName('llama', l, 'down')}.weight`,
  w3: (l) => `${linearName('llama', l, 'up')}.weight`,
  tok_embeddings: () => 'model.embed_tokens.weight',
  rms_final: () => 'model.norm.weight',
  wcls: () => 'lm_head.weight',
};

export async function readLlama2cTensors(src: ByteSource, h: Llama2cHeader): Promise<Map<string, TensorEntry>> {
  const out = new Map<string, TensorEntry>();
  let offset = HEADER_BYTES;
  for (const t of layout(h)) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
    for (let l = 0; l < (t.perLayer ? h.layers : 1); l++) {
      const at = offset;
      const name = HF_NAME[t.name]?.(l);
      if (name) {
        out.set(name, {
          shape: t.shape,
          file: src.name,
          read: async () => {
            checkRange(src, at, bytes, `tensor "${name}"`);
            return f32FromBytes(await src.read(at, bytes));
          },
        });
      }
      offset += bytes;
    }
  }
  return out;
}

const MAX_TOKEN_BYTES = 1 << 16;

/** tokenizer.bin: int32 max_token_length, then per token: f32 score, int32 length, bytes. */
export async function readLlama2cTokenizer(src: ByteSource, vocabSize: number): Promise<SentencePieceVocab> {
  const fix = 'Use the tokenizer .bin made for this model (llama2.c tokenizer.py / tok512.bin)';
  if (src.size < 4) throw new FormatError(src.name, 'is too short for a llama2.c tokenizer', fix);
  if (src.size > 64 << 20) throw new FormatError(src.name, `is ${src.size} bytes, too large for a llama2.c tokenizer`, fix);
  const all = await src.read(0, src.size);
  const v = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const maxLen = v.getInt32(0, true);
  if (maxLen <= 0 || maxLen > MAX_TOKEN_BYTES) throw new FormatError(src.name, `has max_token_length ${maxLen}, which is implausible`, fix);
  const dec = new TextDecoder();
  const pieces: string[] = [];
  const scores = new Float32Array(vocabSize);
  let p = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (p + 8 > all.byteLength) {
      throw new FormatError(
        src.name,
        `ends after ${id} of ${vocabSize} tokens (the model's vocab_size)`,
        `The tokenizer is truncated or belongs to another model. ${fix}`,
      );
    }
    scores[id] = v.getFloat32(p, true);
    const len = v.getInt32(p + 4, true);
    p += 8;
    if (len < 0 || len > maxLen || p + len > all.byteLength) {
      throw new FormatError(
        src.name,
        `token ${id} has length ${len} (max_token_length ${maxLen}, ${all.byteLength - p} bytes left)`,
        `The tokenizer is corrupt. ${fix}`,
      );
    }
    pieces.push(dec.decode(all.subarray(p, p + len)).replaceAll('\u2581', ' '));
    p += len;
  }
  return { pieces, scores, types: inferPieceTypes(pieces), bosId: 1, eosId: 2, unkId: 0, addSpacePrefix: true };
}

export async function loadLlama2c(model: ByteSource, tokenizer: ByteSource): Promise<LoadedModel> {
  const h = await readLlama2cHeader(model);
  const name = model.name.replace(/\.bin$/i, '');
  const config = llama2cConfig(h, name);
  const tensors = await readLlama2cTensors(model, h);
  const vocab = await readLlama2cTokenizer(tokenizer, h.vocab);
  const tok = new SentencePieceBpeTokenizer(vocab);
  checkTokenIds(config, tok, tokenizer.name, `${model.name} (llama2.c: BOS 1, EOS 2)`);
  return { weights: buildWeightSource(config, tensors, model.name), tokenizer: tok, source: `local:${model.name}+${tokenizer.name}` };
}
