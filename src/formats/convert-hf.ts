// Writes a LoadedModel as a Hugging Face LLaMA folder: model.safetensors (F32), config.json,
// tokenizer.json (+ tokenizer_config.json, generation_config.json). Q/K rows are permuted from the
// interleaved rotary layout to HF's half-split one, so ropeStyle 'half' gives identical logits.
import type { LoadedModel, ModelConfig } from '../core/model-config';
import { linearName } from '../core/tensor-names';
import { FormatError } from './errors';
import { toHfLlamaConfig } from './hf-config';
import { HfTokenizer } from './hf-tokenizer';
import { writeSafetensors } from './safetensors';
import { SentencePieceBpeTokenizer, type SentencePieceVocab } from './sentencepiece-bpe';

/**
 * Rows of a [heads*headDim, cols] Q or K weight from interleaved pairs (2i, 2i+1) to half-split
 * (i, i+headDim/2) order: transformers' convert_llama_weights_to_hf permute,
 * w.view(heads, headDim/2, 2, cols).transpose(1, 2).reshape(heads*headDim, cols).
 */
export function permuteInterleavedToHalf(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  return permuteRows(w, heads, headDim, cols, true);
}

/** The inverse: llama.cpp's convert_hf_to_gguf permute (half-split -> interleaved). */
export function permuteHalfToInterleaved(w: Float32Array, heads: number, headDim: number, cols: number): Float32Array {
  return permuteRows(w, heads, headDim, cols, false);
}

function permuteRows(w: Float32Array, heads: number, headDim: number, cols: number, toHalf: boolean): Float32Array {
  if (w.length !== heads * headDim * cols || headDim % 2 !== 0) throw new Error(`permute: ${w.length} values is not ${heads} heads x ${headDim} x ${cols}`);
  const out = new Float32Array(w.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleaved = h * headDim + 2 * i + j;
        const split = h * headDim + j * half + i;
        const [from, to] = toHalf ? [interleaved, split] : [split, interleaved];
        out.set(w.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

const SPACE = '\u2581';

/** Vocabulary text as HF writes it: U+2581 for spaces; control pieces under their plain names. */
function hfPieceNames(vocab: SentencePieceVocab): string[] {
  const names = vocab.pieces.map((p, id) => {
    const t = vocab.types[id];
    if (t === 'control' || t === 'unknown') {
      const trimmed = p.trim();
      if (trimmed) return trimmed;
      return id === vocab.unkId ? '<unk>' : id === vocab.bosId ? '<s>' : id === vocab.eosId ? '</s>' : `<ctrl${id}>`;
    }
    return p.replaceAll(' ', SPACE);
  });
  const seen = new Map<string, number>();
  names.forEach((n, id) => {
    if (seen.has(n))
      throw new FormatError('tokenizer', `pieces ${seen.get(n)} and ${id} are both ${JSON.stringify(n)}`, 'A tokenizer.json vocabulary needs unique pieces');
    seen.set(n, id);
  });
  return names;
}

/**
 * BPE merges equivalent to SentencePiece's score-ordered merging: every split of a mergeable
 * piece into two mergeable pieces, ranked by the merged piece's score (best first).
 */
export function mergesFromScores(vocab: SentencePieceVocab): [string, string][] {
  const mergeable = new Set<string>();
  vocab.pieces.forEach((p, id) => {
    if (vocab.types[id] === 'normal' || vocab.types[id] === 'user') mergeable.add(p);
  });
  const found: { score: number; id: number; leftLen: number; pair: [string, string] }[] = [];
  vocab.pieces.forEach((p, id) => {
    if (vocab.types[id] !== 'normal' && vocab.types[id] !== 'user') return;
    const chars = [...p];
    for (let k = 1; k < chars.length; k++) {
      const l = chars.slice(0, k).join('');
      const r = chars.slice(k).join('');
      if (mergeable.has(l) && mergeable.has(r)) {
        found.push({ score: vocab.scores[id], id, leftLen: k, pair: [l.replaceAll(' ', SPACE), r.replaceAll(' ', SPACE)] });
      }
    }
  });
  found.sort((a, b) => b.score - a.score || a.id - b.id || a.leftLen - b.leftLen);
  return found.map((m) => m.pair);
}

/** An HF tokenizer.json (LLaMA style: Prepend/Replace normalizer, BPE with byte fallback). */
export function sentencePieceToTokenizerJson(vocab: SentencePieceVocab): Record<string, unknown> {
  const names = hfPieceNames(vocab);
  const special = names
    .map((content, id) => ({ id, content, t: vocab.types[id] }))
    .filter((x) => x.t === 'control' || x.t === 'unknown')
    .map(({ id, content }) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const bos = names[vocab.bosId];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special,
    normalizer: {
      type: 'Sequence',
      normalizers: [...(vocab.addSpacePrefix ? [{ type: 'Prepend', prepend: SPACE }] : []), { type: 'Replace', pattern: { String: ' ' }, content: SPACE }],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: bos, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: bos, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [bos]: { id: bos, ids: [vocab.bosId], tokens: [bos] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(vocab.addSpacePrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: names[vocab.unkId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(names.map((n, id) => [n, id])),
      merges: mergesFromScores(vocab),
    },
  };
}

export function sentencePieceTokenizerConfig(vocab: SentencePieceVocab, cfg: ModelConfig): Record<string, unknown> {
  const names = hfPieceNames(vocab);
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: names[vocab.bosId],
    eos_token: names[vocab.eosId],
    unk_token: names[vocab.unkId],
    pad_token: null,
    clean_up_tokenization_spaces: false,
    legacy: true,
    model_max_length: cfg.maxPositions,
    spaces_between_special_tokens: false,
    tokenizer_class: 'LlamaTokenizerFast',
  };
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');

/** The folder's files by name; tensors are read one at a time from the model's WeightSource. */
export async function convertToHfFolder(model: LoadedModel): Promise<Map<string, Uint8Array>> {
  const cfg = model.weights.config;
  if (cfg.arch !== 'llama' || cfg.qkvBias || cfg.outBias || cfg.mlpBias) {
    throw new FormatError(
      model.source,
      `is ${cfg.sourceArchitecture}; the Hugging Face exporter writes bias-free LLaMA models only`,
      'Export a LLaMA-family model',
    );
  }
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const qk = new Set<string>();
  for (let l = 0; l < cfg.layers; l++) {
    qk.add(`${linearName('llama', l, 'q')}.weight`);
    qk.add(`${linearName('llama', l, 'k')}.weight`);
  }
  for (const [name, shape] of model.weights.shapes) {
    if (name === 'lm_head.weight' && cfg.tiedEmbeddings) continue;
    let data = await model.weights.get(name);
    if (qk.has(name) && cfg.ropeStyle === 'interleaved') {
      const heads = name.includes('q_proj') ? cfg.heads : cfg.kvHeads;
      data = permuteInterleavedToHalf(data, heads, cfg.headDim, shape[1]);
    }
    tensors.push({ name, shape, data });
  }
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = new Map<string, Uint8Array>();
  files.set('model.safetensors', writeSafetensors(tensors));
  files.set('config.json', json(toHfLlamaConfig(cfg)));
  files.set('generation_config.json', json({ bos_token_id: cfg.bosId, eos_token_id: cfg.eosId }));
  const tok = model.tokenizer;
  if (tok instanceof SentencePieceBpeTokenizer) {
    files.set('tokenizer.json', json(sentencePieceToTokenizerJson(tok.vocab)));
    files.set('tokenizer_config.json', json(sentencePieceTokenizerConfig(tok.vocab, cfg)));
  } else if (tok instanceof HfTokenizer) {
    files.set('tokenizer.json', json(tok.tokenizerJson));
    files.set('tokenizer_config.json', json(tok.tokenizerConfig));
  } else {
    throw new FormatError(model.source, 'has a tokenizer the exporter cannot write', 'Use a SentencePiece (GGUF, llama2.c) or tokenizer.json tokenizer');
  }
  return files;
}

/**
 * A SentencePiece-converted tokenizer.json (BPE with byte fallback: LLaMA 2, TinyLlama, Mistral) as
 * the SentencePiece vocabulary GGUF's "llama" tokenizer holds, or why it cannot be one. llama.cpp
 * merges the adjacent pair whose joined piece scores highest; a piece's score here is minus the rank
 * of the first merge that forms it, so that order is the BPE merge order. transformers' converter
 * lists a merge for every split of every piece, so no pair joins without one.
 */
export function sentencePieceVocabFromTokenizerJson(
  json: unknown,
  vocabSize: number,
  ids: { bosId: number; eosId: number },
): SentencePieceVocab | { reason: string } {
  const j = (json ?? {}) as Record<string, unknown>;
  const model = (j.model ?? {}) as Record<string, unknown>;
  if ((model.type ?? 'BPE') !== 'BPE' || model.byte_fallback !== true) return { reason: 'the tokenizer is not a byte-fallback BPE' };
  // The " " -> "▁" rule with a prefix: the legacy Prepend + Replace normalizer, or a Metaspace pre-tokenizer.
  const norm = j.normalizer as { type?: string; normalizers?: { type?: string; prepend?: string; pattern?: { String?: string }; content?: string }[] } | null;
  const pre = j.pre_tokenizer as { type?: string; replacement?: string; prepend_scheme?: string; split?: boolean } | null;
  const steps = norm?.type === 'Sequence' ? (norm.normalizers ?? []) : norm ? [norm as never] : [];
  const legacy =
    !pre &&
    steps.length === 2 &&
    steps[0].type === 'Prepend' &&
    steps[0].prepend === SPACE &&
    steps[1].type === 'Replace' &&
    steps[1].pattern?.String === ' ' &&
    steps[1].content === SPACE;
  const metaspace = !norm && pre?.type === 'Metaspace' && (pre.replacement ?? SPACE) === SPACE && pre.split === false && pre.prepend_scheme !== 'never';
  if (!legacy && !metaspace) return { reason: 'the tokenizer.json normalizer / pre-tokenizer is not the SentencePiece "▁" prefix rule llama.cpp applies' };
  const vocab = model.vocab as Record<string, number>;
  const pieces: string[] = new Array(vocabSize).fill(undefined);
  for (const [p, id] of Object.entries(vocab)) if (id < vocabSize) pieces[id] = p;
  const added = new Map<number, { content: string; special: boolean }>();
  for (const t of (j.added_tokens ?? []) as { id: number; content: string; special?: boolean }[]) {
    added.set(t.id, { content: t.content, special: t.special !== false });
    if (t.id < vocabSize) pieces[t.id] = t.content;
  }
  const unk = typeof model.unk_token === 'string' ? vocab[model.unk_token] : undefined;
  if (unk === undefined) return { reason: 'the tokenizer has no unk_token' };
  const rank = new Map<string, number>();
  ((model.merges ?? []) as (string | string[])[]).forEach((m, r) => {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    if (!rank.has(a + b)) rank.set(a + b, r);
  });
  const scores = new Float32Array(vocabSize);
  const types: SentencePieceVocab['types'] = [];
  for (let id = 0; id < vocabSize; id++) {
    const p = pieces[id];
    if (p === undefined) {
      pieces[id] = `<unused${id}>`;
      types.push('unused');
      continue;
    }
    const a = added.get(id);
    types.push(id === unk ? 'unknown' : a ? (a.special ? 'control' : 'user') : /^<0x[0-9A-F]{2}>$/.test(p) ? 'byte' : 'normal');
    scores[id] = rank.has(p) ? -rank.get(p)! : 0;
    if (types[id] === 'normal' || types[id] === 'user') pieces[id] = p.replaceAll(SPACE, ' ');
  }
  return { pieces, scores, types, bosId: ids.bosId, eosId: ids.eosId, unkId: unk, addSpacePrefix: true };
}
