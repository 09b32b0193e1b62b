import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mulberry32 } from '../reference/rng';
import { bytesSource } from './byte-source';
import { convertToHfFolder, mergesFromScores, permuteHalfToInterleaved, permuteInterleavedToHalf } from './convert-hf';
import { HfTokenizer } from './hf-tokenizer';
import { loadHfFolder } from './hf-folder';
import { loadLlama2c } from './llama2c';
import { bitEqual, HF_DIR, fixture, fixtureText, GREEDY_IDS, GREEDY_TEXT, hfFolderSources, REFERENCE_IDS, REFERENCE_SENTENCE } from './testing/fixtures';
import type { SentencePieceVocab } from './sentencepiece-bpe';

const loadStories = () => loadLlama2c(fixture('models/stories260K.bin'), fixture('models/tok512.bin'));

/** Rotates (x[a], x[b]) pairs by angle p * theta^(-2i/d), in float64. */
function rope(x: Float64Array, heads: number, d: number, p: number, style: 'interleaved' | 'half'): Float64Array {
  const out = new Float64Array(x.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < d / 2; i++) {
      const ang = p * Math.pow(10000, (-2 * i) / d);
      const [a, b] = style === 'interleaved' ? [h * d + 2 * i, h * d + 2 * i + 1] : [h * d + i, h * d + i + d / 2];
      out[a] = x[a] * Math.cos(ang) - x[b] * Math.sin(ang);
      out[b] = x[a] * Math.sin(ang) + x[b] * Math.cos(ang);
    }
  }
  return out;
}

function matvec(w: Float32Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r] += w[r * cols + c] * x[c];
  return y;
}

describe('Q/K permutation', () => {
  test('hand case: one head of 4 rows, interleaved [0,1,2,3] -> half-split [0,2,1,3]', () => {
    const w = new Float32Array([0, 1, 2, 3]);
    expect([...permuteInterleavedToHalf(w, 1, 4, 1)]).toEqual([0, 2, 1, 3]);
    expect([...permuteInterleavedToHalf(new Float32Array([0, 1, 2, 3, 4, 5]), 1, 6, 1)]).toEqual([0, 2, 4, 1, 3, 5]);
  });

  test('un-permute(permute(W)) == W', () => {
    const rng = mulberry32(7);
    const w = Float32Array.from({ length: 3 * 8 * 5 }, () => rng() - 0.5);
    expect(permuteHalfToInterleaved(permuteInterleavedToHalf(w, 3, 8, 5), 3, 8, 5)).toEqual(w);
  });

  test('half-split RoPE on permuted weights gives the same attention scores as interleaved RoPE', () => {
    const rng = mulberry32(11);
    const heads = 2,
      d = 8,
      cols = 6;
    const wq = Float32Array.from({ length: heads * d * cols }, () => rng() - 0.5);
    const wk = Float32Array.from({ length: heads * d * cols }, () => rng() - 0.5);
    const x1 = Float64Array.from({ length: cols }, () => rng() - 0.5);
    const x2 = Float64Array.from({ length: cols }, () => rng() - 0.5);
    const score = (wq: Float32Array, wk: Float32Array, style: 'interleaved' | 'half') => {
      const q = rope(matvec(wq, x1, heads * d, cols), heads, d, 5, style);
      const k = rope(matvec(wk, x2, heads * d, cols), heads, d, 2, style);
      return [0, 1].map((h) => q.slice(h * d, h * d + d).reduce((s, v, i) => s + v * k[h * d + i], 0));
    };
    const ref = score(wq, wk, 'interleaved');
    const got = score(permuteInterleavedToHalf(wq, heads, d, cols), permuteInterleavedToHalf(wk, heads, d, cols), 'half');
    got.forEach((g, h) => expect(g).toBeCloseTo(ref[h], 12));
    // and the unpermuted weights with half-split RoPE do not (the test can fail).
    expect(Math.abs(score(wq, wk, 'half')[0] - ref[0])).toBeGreaterThan(1e-6);
  });
});

describe('HF folder export of stories260K', async () => {
  const model = await loadStories();
  const files = await convertToHfFolder(model);
  const folder = await loadHfFolder([...files].map(([n, b]) => bytesSource(n, b)));

  test('writes the HF files, and the committed public/models/stories260K-hf is up to date', () => {
    expect([...files.keys()].sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    for (const [name, bytes] of files) expect(Buffer.from(readFileSync(resolve(HF_DIR, name))).equals(Buffer.from(bytes)), name).toBe(true);
  });

  test('config.json describes the same model with the half-split rotary layout', () => {
    const a = model.weights.config;
    const b = folder.weights.config;
    for (const k of [
      'hidden',
      'intermediate',
      'layers',
      'heads',
      'kvHeads',
      'headDim',
      'vocab',
      'maxPositions',
      'normEps',
      'ropeTheta',
      'tiedEmbeddings',
      'bosId',
      'eosId',
    ] as const)
      expect(b[k], k).toEqual(a[k]);
    expect(b.ropeStyle).toBe('half');
    expect(b.sourceArchitecture).toBe('LlamaForCausalLM');
  });

  test('every tensor is present with the right shape; Q/K permuted, the rest bit-identical', async () => {
    const cfg = model.weights.config;
    expect([...folder.weights.shapes.keys()].sort()).toEqual([...model.weights.shapes.keys()].sort());
    for (const [name, shape] of model.weights.shapes) {
      expect(folder.weights.shapes.get(name), name).toEqual(shape);
      const orig = await model.weights.get(name);
      const conv = await folder.weights.get(name);
      if (/self_attn\.[qk]_proj/.test(name)) {
        const heads = name.includes('q_proj') ? cfg.heads : cfg.kvHeads;
        expect(bitEqual(conv, orig)).toBe(false);
        expect(bitEqual(permuteHalfToInterleaved(conv, heads, cfg.headDim, shape[1]), orig), name).toBe(true);
      } else {
        expect(bitEqual(conv, orig), name).toBe(true);
      }
    }
    // Tied: no lm_head in the file, and get() returns the embedding.
    const header = JSON.parse(
      new TextDecoder().decode(
        files.get('model.safetensors')!.subarray(8, 8 + Number(new DataView(files.get('model.safetensors')!.buffer).getBigUint64(0, true))),
      ),
    );
    expect(header['lm_head.weight']).toBeUndefined();
    expect(bitEqual(await folder.weights.get('lm_head.weight'), await model.weights.get('model.embed_tokens.weight'))).toBe(true);
  });

  test('tokenizer.json (through @huggingface/tokenizers) encodes like the SentencePiece tokenizer', () => {
    expect(folder.tokenizer).toBeInstanceOf(HfTokenizer);
    expect(folder.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
    expect(folder.tokenizer.decode(GREEDY_IDS)).toBe(GREEDY_TEXT);
    expect(folder.tokenizer.bosId).toBe(1);
    expect(folder.tokenizer.eosId).toBe(2);
    expect(folder.tokenizer.vocabSize).toBe(512);
    for (const [rel, from] of [
      ['data/tinystories_val.txt', 0],
      ['data/wiki.test.raw', 0],
      ['data/tinyshakespeare.txt', 100000],
    ] as const) {
      const text = fixtureText(rel).slice(from, from + 20000);
      expect(folder.tokenizer.encode(text), rel).toEqual(model.tokenizer.encode(text));
      expect(folder.tokenizer.decode(folder.tokenizer.encode(text))).toBe(text);
    }
    expect(folder.tokenizer.encode('\u65e5 x\n')).toEqual(model.tokenizer.encode('\u65e5 x\n'));
  });

  test('the committed folder loads and encodes the reference too', async () => {
    const m = await loadHfFolder(hfFolderSources());
    expect(m.tokenizer.encode(REFERENCE_SENTENCE)).toEqual(REFERENCE_IDS);
  });
});

describe('merges from scores', () => {
  test('hand case: every split into two mergeable pieces, best-scoring merged piece first', () => {
    const v: SentencePieceVocab = {
      pieces: ['<unk>', 'a', 'b', 'c', 'ab', 'abc', 'bc'],
      scores: [0, -10, -11, -12, -1, -3, -2],
      types: ['unknown', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal'],
      bosId: 0,
      eosId: 0,
      unkId: 0,
      addSpacePrefix: false,
    };
    expect(mergesFromScores(v)).toEqual([
      ['a', 'b'],
      ['b', 'c'],
      ['a', 'bc'],
      ['ab', 'c'],
    ]);
  });
});
