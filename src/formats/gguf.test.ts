import { describe, expect, test } from 'vitest';
import { bytesSource } from './byte-source';
import { GGML_TYPE, readGguf } from './gguf';
import { ggufToHfName, loadGguf } from './gguf-model';
import { loadLlama2c } from './llama2c';
import { bitEqual, fixture } from './testing/fixtures';
import { errorOf } from './testing/format-errors';
import { tinyLlamaKv, writeGguf, type GgufTensorSpec, type KvValue } from './testing/gguf-writer';

const f32 = (vals: number[]) => new Uint8Array(new Float32Array(vals).buffer);
const u16 = (vals: number[]) => {
  const b = new Uint8Array(vals.length * 2);
  vals.forEach((v, i) => new DataView(b.buffer).setUint16(2 * i, v, true));
  return b;
};

/** A valid tiny LLaMA GGUF (hidden 4, ffn 32, 1 layer, 2 heads, vocab 4) with mixed tensor types. */
function tinyTensors(): GgufTensorSpec[] {
  // Q8_0, two blocks of 32: d = 0.5 with q = i - 16, then d = 1.0 with q = 100 - 7i.
  const q8 = new Uint8Array(4 * 34);
  const dv = new DataView(q8.buffer);
  for (let row = 0; row < 4; row++) {
    const o = row * 34;
    dv.setUint16(o, row % 2 === 0 ? 0x3800 : 0x3c00, true);
    for (let i = 0; i < 32; i++) dv.setInt8(o + 2 + i, row % 2 === 0 ? i - 16 : 100 - 7 * i);
  }
  const seq = (n: number, k = 0) => f32(Array.from({ length: n }, (_, i) => i * 0.01 + k));
  return [
    { name: 'token_embd.weight', ne: [4, 4], type: GGML_TYPE.F32, data: seq(16) },
    { name: 'blk.0.attn_q.weight', ne: [4, 4], type: GGML_TYPE.F16, data: u16([0x3c00, 0xc000, 0x3555, 0x0001, ...new Array(12).fill(0x3800)]) },
    { name: 'blk.0.attn_k.weight', ne: [4, 4], type: GGML_TYPE.BF16, data: u16([0x3f80, 0xc040, 0x3eab, ...new Array(13).fill(0)]) },
    { name: 'blk.0.attn_v.weight', ne: [4, 4], type: GGML_TYPE.F32, data: seq(16, 1) },
    { name: 'blk.0.attn_output.weight', ne: [4, 4], type: GGML_TYPE.F32, data: seq(16, 2) },
    { name: 'blk.0.ffn_gate.weight', ne: [4, 32], type: GGML_TYPE.F32, data: seq(128, 3) },
    { name: 'blk.0.ffn_up.weight', ne: [4, 32], type: GGML_TYPE.F32, data: seq(128, 4) },
    { name: 'blk.0.ffn_down.weight', ne: [32, 4], type: GGML_TYPE.Q8_0, data: q8 },
    { name: 'blk.0.attn_norm.weight', ne: [4], type: GGML_TYPE.F32, data: seq(4, 5) },
    { name: 'blk.0.ffn_norm.weight', ne: [4], type: GGML_TYPE.F32, data: seq(4, 6) },
    { name: 'output_norm.weight', ne: [4], type: GGML_TYPE.F32, data: seq(4, 7) },
  ];
}

const tinyGguf = (over: { kv?: Record<string, KvValue>; tensors?: GgufTensorSpec[]; version?: number } = {}) =>
  bytesSource('tiny.gguf', writeGguf({ kv: tinyLlamaKv(over.kv), tensors: over.tensors ?? tinyTensors(), version: over.version }));

describe('GGUF stories260K', async () => {
  const gguf = await readGguf(fixture('models/stories260K.gguf'));

  test('header matches SOURCES.md: v3, 19 KV pairs, 48 tensors, alignment 32, data at 14176', () => {
    expect(gguf.version).toBe(3);
    expect(gguf.metadata.size).toBe(19);
    expect(gguf.tensors.size).toBe(48);
    expect(gguf.alignment).toBe(32);
    expect(gguf.dataOffset).toBe(14176);
    expect(gguf.metadata.get('llama.embedding_length')).toBe(64);
    expect((gguf.metadata.get('tokenizer.ggml.tokens') as string[]).length).toBe(512);
    expect(gguf.tensors.get('token_embd.weight')!.ne).toEqual([64, 512]);
  });

  test('loads with HF names and shapes; every tensor bit-identical to the llama2.c arrays', async () => {
    const g = await loadGguf(fixture('models/stories260K.gguf'));
    const c = await loadLlama2c(fixture('models/stories260K.bin'), fixture('models/tok512.bin'));
    expect(g.weights.config).toMatchObject({
      hidden: 64,
      intermediate: 172,
      layers: 5,
      heads: 8,
      kvHeads: 4,
      headDim: 8,
      vocab: 512,
      normEps: 1e-5,
      ropeTheta: 10000,
      ropeStyle: 'interleaved',
      bosId: 1,
      eosId: 2,
      maxPositions: 2048,
    });
    expect(g.weights.shapes.get('model.embed_tokens.weight')).toEqual([512, 64]);
    expect(g.weights.shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([64, 172]);
    expect([...g.weights.shapes.keys()].sort()).toEqual([...c.weights.shapes.keys()].sort());
    for (const name of c.weights.shapes.keys()) expect(bitEqual(await g.weights.get(name), await c.weights.get(name)), name).toBe(true);
    expect(g.source).toBe('local:stories260K.gguf');
    expect(g.weights.config.storedQuantization).toBeUndefined(); // all F32
  });

  test('llama.cpp names map to HF names', () => {
    expect(ggufToHfName('blk.3.attn_output.weight')).toBe('model.layers.3.self_attn.o_proj.weight');
    expect(ggufToHfName('blk.0.ffn_norm.weight')).toBe('model.layers.0.post_attention_layernorm.weight');
    expect(ggufToHfName('blk.1.attn_q.bias')).toBe('model.layers.1.self_attn.q_proj.bias');
    expect(ggufToHfName('output.weight')).toBe('lm_head.weight');
    expect(ggufToHfName('rope_freqs.weight')).toBeUndefined();
  });
});

describe('GGUF RoPE scaling', () => {
  test('linear scaling is read; per-frequency factors (LLaMA 3.1/3.2 rope_freqs) are read as frequency divisors, a malformed table refused', async () => {
    const linear = await loadGguf(
      tinyGguf({ kv: { 'llama.rope.scaling.type': { type: 'string', value: 'linear' }, 'llama.rope.scaling.factor': { type: 'f32', value: 4 } } }),
    );
    expect(linear.weights.config.ropeScaling).toEqual({ type: 'linear', factor: 4 });
    const half = linear.weights.config.headDim / 2;
    const factors = Array.from({ length: half }, (_, i) => 1 + i);
    const withFreqs = (v: number[]) => [...tinyTensors(), { name: 'rope_freqs.weight', ne: [v.length], type: GGML_TYPE.F32, data: f32(v) }];
    const read = await loadGguf(tinyGguf({ tensors: withFreqs(factors) }));
    expect(read.weights.config.ropeScaling).toEqual({ type: 'factors', factors });
    expect(read.weights.shapes.has('rope_freqs.weight')).toBe(false);
    const e = await errorOf(loadGguf(tinyGguf({ tensors: withFreqs([...factors, 1]) })));
    expect(e.message).toMatch(new RegExp(`rope_freqs of ${half + 1} values, expected ${half} positive factors`));
    const yarn = await errorOf(loadGguf(tinyGguf({ kv: { 'llama.rope.scaling.type': { type: 'string', value: 'yarn' } } })));
    expect(yarn.message).toMatch(/uses RoPE scaling "yarn"/);
  });
});

describe('GGUF tensor types and tied output', () => {
  test('F16, BF16 and Q8_0 dequantize to the hand-computed values; missing output ties to the embedding', async () => {
    const m = await loadGguf(tinyGguf());
    expect(m.weights.config.tiedEmbeddings).toBe(true);
    // one tensor is Q8_0: the model card says the baseline is an already-quantized model
    expect(m.weights.config.storedQuantization).toEqual(['Q8_0']);
    const q = await m.weights.get('model.layers.0.self_attn.q_proj.weight');
    expect([...q.slice(0, 5)]).toEqual([1, -2, 0.333251953125, 2 ** -24, 0.5]);
    const k = await m.weights.get('model.layers.0.self_attn.k_proj.weight');
    expect([...k.slice(0, 4)]).toEqual([1, -3, 0.333984375, 0]);
    const down = await m.weights.get('model.layers.0.mlp.down_proj.weight');
    expect(m.weights.shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([4, 32]);
    for (let i = 0; i < 32; i++) {
      expect(down[i]).toBe(0.5 * (i - 16));
      expect(down[32 + i]).toBe(100 - 7 * i);
    }
    expect(await m.weights.get('lm_head.weight')).toEqual(await m.weights.get('model.embed_tokens.weight'));
    expect(m.tokenizer.encode('a')).toEqual([3]);
    expect(m.tokenizer.encode('aa')).toEqual([3, 2]);
    expect(m.tokenizer.encode('a a')).toEqual([3, 3]);
  });

  test('an IQ4_NL tensor loads through the model loader and is reported as stored quantization', async () => {
    // ffn_down as 4 IQ4_NL blocks (rows of 32): d = 1, every byte 0x70 (low nibble 0: level −127, high 7: −10)
    const iq = new Uint8Array(4 * 18).fill(0x70);
    for (let row = 0; row < 4; row++) new DataView(iq.buffer).setUint16(row * 18, 0x3c00, true);
    const t = tinyTensors().map((x) => (x.name === 'blk.0.ffn_down.weight' ? { ...x, type: GGML_TYPE.IQ4_NL, data: iq } : x));
    const m = await loadGguf(tinyGguf({ tensors: t }));
    expect(m.weights.config.storedQuantization).toEqual(['IQ4_NL']);
    const down = await m.weights.get('model.layers.0.mlp.down_proj.weight');
    expect([down[0], down[15], down[16], down[31], down[127]]).toEqual([-127, -127, -10, -10, -10]);
  });
});

describe('GGUF "granite" (llama.cpp\'s Granite: LLaMA with four scales)', () => {
  /** The tiny LLaMA's metadata under "granite." with the scales convert_hf_to_gguf writes. */
  const graniteKv = (scales: Record<string, number | undefined>, more: Record<string, KvValue> = {}) => {
    const kv: Record<string, KvValue> = {};
    for (const [k, v] of Object.entries(tinyLlamaKv())) kv[k.replace(/^llama\./, 'granite.')] = v;
    kv['general.architecture'] = { type: 'string', value: 'granite' };
    for (const [k, v] of Object.entries(scales)) if (v !== undefined) kv[`granite.${k}`] = { type: 'f32', value: v };
    return bytesSource('granite.gguf', writeGguf({ kv: { ...kv, ...more }, tensors: tinyTensors() }));
  };
  const SCALES = { embedding_scale: 12, residual_scale: 0.22, 'attention.scale': 0.015625, logit_scale: 8 };

  test('reads as the LLaMA it is, each scale folded where transformers multiplies (head tied: the final norm takes 1/(e*s))', async () => {
    const llama = await loadGguf(tinyGguf());
    const granite = await loadGguf(graniteKv(SCALES));
    const { sourceArchitecture: _s, name: _n, foldedMultipliers, ...cfg } = granite.weights.config;
    expect(cfg).toEqual({ ...llama.weights.config, sourceArchitecture: undefined, name: undefined, foldedMultipliers: undefined });
    expect(granite.weights.config.sourceArchitecture).toBe('gguf:granite');
    // f32 metadata: 0.22 is stored as 0.2199999988, read as the 0.22 meant
    expect(foldedMultipliers).toEqual({ embeddingMultiplier: 12, residualMultiplier: 0.22, attentionMultiplier: 0.015625, logitsScaling: 8 });
    const factor: Record<string, number> = {
      'model.embed_tokens.weight': 12,
      'lm_head.weight': 12,
      'model.norm.weight': 1 / 96,
      'model.layers.0.self_attn.q_proj.weight': 0.015625 * Math.sqrt(2), // head_dim 2
      'model.layers.0.self_attn.o_proj.weight': 0.22,
      'model.layers.0.mlp.down_proj.weight': 0.22,
    };
    for (const name of llama.weights.shapes.keys()) {
      const [want, got] = [await llama.weights.get(name), await granite.weights.get(name)];
      const f = factor[name] ?? 1;
      expect(
        got.every((v, i) => Math.abs(v - want[i] * f) <= Math.abs(want[i] * f) * 2 ** -23),
        name,
      ).toBe(true);
    }
  });
  test("absent or zero scales are none, as llama.cpp reads them (attention's: 1/sqrt(head_dim)); the logit scale is required", async () => {
    const plain = await loadGguf(graniteKv({ logit_scale: 1, embedding_scale: 0 }));
    expect(plain.weights.config.foldedMultipliers).toEqual({
      embeddingMultiplier: 1,
      residualMultiplier: 1,
      attentionMultiplier: 1 / Math.sqrt(2),
      logitsScaling: 1,
    });
    const llama = await loadGguf(tinyGguf());
    for (const name of llama.weights.shapes.keys()) expect(await plain.weights.get(name), name).toEqual(await llama.weights.get(name));
    expect((await errorOf(loadGguf(graniteKv({ ...SCALES, logit_scale: undefined })))).message).toMatch(/metadata "granite\.logit_scale" is missing/);
    expect((await errorOf(loadGguf(graniteKv({ ...SCALES, residual_scale: -1 })))).message).toMatch(/metadata "granite\.residual_scale" is -1/);
    const noRope = graniteKv(SCALES, { 'granite.rope.scaling.finetuned': { type: 'bool', value: false } });
    expect((await errorOf(loadGguf(noRope))).message).toMatch(/granite\.rope\.scaling\.finetuned false \(attention without RoPE\)/);
  });
});

describe('GGUF bad input gives a clear error', async () => {
  const real = new Uint8Array(await fixture('models/stories260K.gguf').read(0, 1185376));
  const patched = (at: number, bytes: number[]) => {
    const b = real.slice();
    b.set(bytes, at);
    return bytesSource('stories260K.gguf', b);
  };
  const u64 = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));

  test('truncated inside the metadata', async () => {
    const e = await errorOf(loadGguf(bytesSource('stories260K.gguf', real.subarray(0, 1000))));
    expect(e.message).toMatch(
      /stories260K\.gguf: metadata "tokenizer\.ggml\.tokens" declares an array of 512 strings needing at least 4096 bytes, but only 931 bytes remain in the file/,
    );
    expect(e.message).toMatch(/truncated/);
  });

  test('truncated inside the tensor data', async () => {
    const e = await errorOf(loadGguf(bytesSource('stories260K.gguf', real.subarray(0, 200000))));
    expect(e.message).toMatch(/tensor "[\w.]+": has data at bytes \d+\.\.\d+, past the end of the file \(200000 bytes\)/);
  });

  test('bad magic', async () => {
    const e = await errorOf(loadGguf(patched(0, [0x47, 0x47, 0x4d, 0x4c])));
    expect(e.message).toMatch(/does not start with the GGUF magic \(found 0x4c4d4747\)/);
  });

  test('unsupported version', async () => {
    expect((await errorOf(loadGguf(patched(4, [1, 0, 0, 0])))).message).toMatch(/GGUF version 1; this loader reads versions 2 and 3/);
  });

  test('absurd tensor, KV and string counts are capped before any allocation', async () => {
    expect((await errorOf(loadGguf(patched(8, u64(1n << 40n))))).message).toMatch(/declares 1099511627776 tensors, over the limit of 65536/);
    expect((await errorOf(loadGguf(patched(16, u64(1n << 62n))))).message).toMatch(/declares 4611686018427387904 metadata entries/);
    expect((await errorOf(loadGguf(patched(24, u64(1n << 50n))))).message).toMatch(/bytes in a string, over the limit/);
  });

  test('an absurd number of dimensions', async () => {
    const t = tinyTensors();
    t[0].ne = [4, 4, 1, 1, 1];
    expect((await errorOf(loadGguf(tinyGguf({ tensors: t })))).message).toMatch(/tensor "token_embd\.weight": has 5 dimensions/);
  });

  test('an unsupported tensor type names the type and the tensor', async () => {
    const t = tinyTensors();
    t[4] = { ...t[4], type: 16 };
    const e = await errorOf(loadGguf(tinyGguf({ tensors: t })));
    expect(e.message).toMatch(/tensor "blk\.0\.attn_output\.weight": is stored as IQ2_XXS/);
    expect(e.message).toMatch(/F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, the k-quants Q2_K to Q6_K, IQ4_NL and IQ4_XS; the other IQ types/);
    // the 1- to 3-bit IQ types are refused by name
    for (const [type, name] of [
      [19, 'IQ1_S'],
      [22, 'IQ2_S'],
      [21, 'IQ3_S'],
      [29, 'IQ1_M'],
    ] as const) {
      t[4] = { ...t[4], type };
      expect((await errorOf(loadGguf(tinyGguf({ tensors: t })))).message).toMatch(new RegExp(`is stored as ${name}, which this loader does not read`));
    }
  });

  test('an unsupported architecture or tokenizer', async () => {
    expect((await errorOf(loadGguf(tinyGguf({ kv: { 'general.architecture': { type: 'string', value: 'gpt2' } } })))).message).toMatch(
      /general\.architecture "gpt2".*Supported GGUF models: general\.architecture "llama"/,
    );
    expect((await errorOf(loadGguf(tinyGguf({ kv: { 'tokenizer.ggml.model': { type: 'string', value: 'bert' } } })))).message).toMatch(
      /tokenizer\.ggml\.model "bert"; the SentencePiece "llama" and byte-level "gpt2" tokenizers are read/,
    );
    // a "gpt2" vocabulary needs its merges and a pre-tokenizer the studio reproduces
    expect((await errorOf(loadGguf(tinyGguf({ kv: { 'tokenizer.ggml.model': { type: 'string', value: 'gpt2' } } })))).message).toMatch(
      /tokenizer\.ggml\.(merges|token_type)/,
    );
  });

  test('a shape that disagrees with the metadata', async () => {
    const e = await errorOf(loadGguf(tinyGguf({ kv: { 'llama.feed_forward_length': { type: 'u32', value: 64 } } })));
    expect(e.message).toMatch(/tensor "model\.layers\.0\.mlp\.gate_proj\.weight": has shape \[32, 4\] but the GGUF metadata implies \[64, 4\]/);
  });

  test('missing metadata', async () => {
    const kv = tinyLlamaKv();
    delete (kv as Record<string, unknown>)['llama.block_count'];
    const e = await errorOf(loadGguf(bytesSource('tiny.gguf', writeGguf({ kv, tensors: tinyTensors() }))));
    expect(e.message).toMatch(/metadata "llama\.block_count" is missing/);
  });

  test('a missing tensor', async () => {
    const e = await errorOf(loadGguf(tinyGguf({ tensors: tinyTensors().filter((t) => t.name !== 'blk.0.ffn_up.weight') })));
    expect(e.message).toMatch(/tensor "model\.layers\.0\.mlp\.up_proj\.weight": is missing/);
  });

  // Tensor data must tile the data region: each tensor at the aligned end of the one before.
  const layout = (t: GgufTensorSpec[]) => {
    const offs: number[] = [];
    let off = 0;
    for (const x of t) {
      offs.push(off);
      off = Math.ceil((off + x.data.byteLength) / 32) * 32;
    }
    return offs;
  };

  test('a tensor declared F16 over F32-sized data is refused (its second half belongs to no tensor)', async () => {
    const t = tinyTensors();
    t[0] = { ...t[0], type: GGML_TYPE.F16 }; // 64 bytes of f32 data, declared 16 halves = 32 bytes
    const e = await errorOf(loadGguf(tinyGguf({ tensors: t })));
    expect(e.message).toMatch(
      /tensor "blk\.0\.attn_q\.weight": starts at byte 64 of the data region but "token_embd\.weight" ends at byte 32 \(aligned: 32\): 32 bytes belong to no tensor/,
    );
  });

  test('the same lie in the last tensor is refused (the data region is longer than its tensors)', async () => {
    const t = tinyTensors();
    const last = t.length - 1;
    t[last] = { ...t[last], ne: [4], data: f32(new Array(16).fill(1)) };
    const e = await errorOf(loadGguf(tinyGguf({ tensors: t })));
    expect(e.message).toMatch(/bytes belong to no tensor/);
  });

  test('overlapping offsets and all offsets 0 are refused', async () => {
    const t = tinyTensors();
    const offs = layout(t);
    offs[2] = offs[1];
    const e = await errorOf(loadGguf(bytesSource('o.gguf', writeGguf({ kv: tinyLlamaKv(), tensors: t, offsetsOverride: offs }))));
    expect(e.message).toMatch(/overlapping "blk\.0\.attn_(q|k)\.weight"/);
    const zeros = await errorOf(loadGguf(bytesSource('z.gguf', writeGguf({ kv: tinyLlamaKv(), tensors: t, offsetsOverride: t.map(() => 0) }))));
    expect(zeros.message).toMatch(/overlapping/);
  });

  test("a gap beyond the alignment is refused; the writer's own layout loads (control)", async () => {
    const t = tinyTensors();
    const offs = layout(t);
    await expect(loadGguf(bytesSource('ok.gguf', writeGguf({ kv: tinyLlamaKv(), tensors: t, offsetsOverride: offs })))).resolves.toBeTruthy();
    // Every tensor from the fifth on declared 32 bytes later, with 32 bytes appended so all stay inside the file.
    const shifted = offs.map((o, i) => (i >= 4 ? o + 32 : o));
    const file = writeGguf({ kv: tinyLlamaKv(), tensors: t, offsetsOverride: shifted });
    const padded = new Uint8Array(file.byteLength + 32);
    padded.set(file);
    const e = await errorOf(loadGguf(bytesSource('g.gguf', padded)));
    expect(e.message).toMatch(
      /tensor "blk\.0\.attn_output\.weight": starts at byte \d+ of the data region but "blk\.0\.attn_v\.weight" ends at byte \d+ \(aligned: \d+\): 32 bytes belong to no tensor/,
    );
  });

  test('8 metadata arrays of 2^26 u8 (a 513 MiB file) are refused after reading its first MiB, not parsed', async () => {
    // A virtual file: a header whose 9th KV is a u8 array of 2^26 entries, then zeros up to 513 MiB.
    const enc = (t: string) => [...new TextEncoder().encode(t)];
    const u64 = (v: number) => Array.from({ length: 8 }, (_, i) => Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
    const header = new Uint8Array([
      ...enc('GGUF'),
      3,
      0,
      0,
      0,
      ...u64(0),
      ...u64(9),
      ...u64(20),
      ...enc('general.architecture'),
      8,
      0,
      0,
      0,
      ...u64(5),
      ...enc('llama'),
      ...u64(2),
      ...enc('a0'),
      9,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      ...u64(2 ** 26),
    ]);
    let bytesRead = 0;
    const src = {
      name: 'huge.gguf',
      size: 513 * 2 ** 20,
      async read(offset: number, length: number) {
        bytesRead += length;
        const out = new Uint8Array(length);
        if (offset < header.byteLength) out.set(header.subarray(offset, Math.min(header.byteLength, offset + length)));
        return out;
      },
    };
    const e = await errorOf(readGguf(src));
    expect(e.message).toMatch(
      /metadata "a0" declares an array of 67108864 values, which brings the metadata to 6710886\d values and 671088\d\d bytes, over the limit of 8388608 values and 67108864 bytes/,
    );
    // The parser read one chunk (the header's first MiB) and none of the array's 64 MiB.
    expect(bytesRead).toBeLessThanOrEqual(2 ** 20);
  });

  test('an array declaring more elements than the bytes left in the file is refused before reading them', async () => {
    const file = writeGguf({ kv: tinyLlamaKv(), tensors: [] });
    // The scores array's length (4) set to 2^22: 16 MiB of f32 in a file of a few hundred bytes.
    const key = new TextEncoder().encode('tokenizer.ggml.scores');
    const at = file.findIndex((_, i) => key.every((b, k) => file[i + k] === b)) + key.length + 8;
    new DataView(file.buffer).setBigUint64(at, BigInt(2 ** 22), true);
    const e = await errorOf(readGguf(bytesSource('s.gguf', file)));
    expect(e.message).toMatch(
      /metadata "tokenizer\.ggml\.scores" declares an array of 4194304 values needing at least 16777216 bytes, but only \d+ bytes remain in the file/,
    );
  });

  test('a metadata key given twice is refused', async () => {
    // "llama.block_counX" written, then renamed in place to the key it would duplicate.
    const file = writeGguf({ kv: tinyLlamaKv({ 'llama.block_counX': { type: 'u32', value: 2 } }), tensors: [] });
    const key = new TextEncoder().encode('llama.block_counX');
    const at = file.findIndex((_, i) => key.every((b, k) => file[i + k] === b));
    file[at + key.length - 1] = 't'.charCodeAt(0);
    const e = await errorOf(readGguf(bytesSource('k.gguf', file)));
    expect(e.message).toMatch(/has the metadata key "llama\.block_count" twice/);
  });

  test('general.alignment faults are each named as they are', async () => {
    const withAlignment = (v: KvValue) => loadGguf(bytesSource('a.gguf', writeGguf({ kv: tinyLlamaKv({ 'general.alignment': v }), tensors: tinyTensors() })));
    expect((await errorOf(withAlignment({ type: 'string', value: '32' }))).message).toMatch(/has general\.alignment the string "32", expected an integer/);
    expect((await errorOf(withAlignment({ type: 'u32', value: 2 ** 20 }))).message).toMatch(
      /has general\.alignment 1048576, a power of two over this loader's limit of 65536/,
    );
    expect((await errorOf(withAlignment({ type: 'u32', value: 48 }))).message).toMatch(/has general\.alignment 48, not a power of two/);
    expect((await errorOf(withAlignment({ type: 'u32', value: 0 }))).message).toMatch(/has general\.alignment 0, expected a positive power of two/);
  });

  test('a NaN or infinite epsilon is shown as NaN / Infinity, not null', async () => {
    for (const [v, shown] of [
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
    ] as const) {
      const e = await errorOf(loadGguf(tinyGguf({ kv: { 'llama.attention.layer_norm_rms_epsilon': { type: 'f32', value: v } } })));
      expect(e.message).toContain(`metadata "llama.attention.layer_norm_rms_epsilon" is ${shown}, expected a positive number`);
    }
  });
});
