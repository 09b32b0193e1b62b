// GGUF export: hand-computed Q4_1/Q5_1/Q8_0 blocks, then stories260K written from stored codes and
// read back by the project's own GGUF loader: every quantized weight equals code·f16(scale) +
// f16(−zero·scale), the 172-wide down_proj is F32 with the exact dequantized values, and the
// read-back model's float64 perplexity matches the quantized model's within 1e-3.
import { describe, expect, it } from 'vitest';
import { halfToFloat, floatToHalf, q4_1ToF32, q5_1ToF32, q8_0ToF32 } from '../formats/dtype';
import { GGML_TYPE, readGguf } from '../formats/gguf';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { bytesSource } from '../formats/byte-source';
import { fixture, fixtureText, hfFolderSources } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import { evaluationWindows } from '../eval/windows';
import type { LoadedModel } from '../core/model-config';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { encodeGgmlRows } from './gguf-blocks';
import { exportGguf, ggufAvailability } from './gguf-writer';
import { dequantizeLinear } from './model-parts';
import { MemorySink } from './sink';
import { allWeights, maxRelErr, quantizeOnCpu, referenceWeights } from './testing';
import { ExportUnavailableError } from './types';
import { hfConfigJson } from './hf-files';
import { loadModelFromFiles } from '../formats/load';
import { CHECKPOINT_CASES } from '../formats/testing/hf-checkpoint-cases';
import { writeCheckpoint } from '../formats/testing/hf-checkpoint';
import { writeGguf, type GgufTensorSpec, type KvValue } from '../formats/testing/gguf-writer';
import { transformersLogits } from '../formats/testing/transformers-twin';

const f16 = (x: number) => halfToFloat(floatToHalf(x));

function linear(bits: number, codes: number[], scale: number, zero: number, symmetric = false): QuantizedLinear {
  return {
    name: 't',
    rows: 1,
    cols: 32,
    spec: { bits, groupSize: 32, symmetric },
    codes: Uint8Array.from(codes),
    scales: Float32Array.of(scale),
    zeros: Float32Array.of(zero),
  };
}

describe('GGML blocks from stored codes', () => {
  it('Q4_1: d, m = -zero*d as f16, low nibbles elements 0..15, high nibbles 16..31', () => {
    const codes = Array.from({ length: 32 }, (_, i) => (i * 5) % 16);
    const b = encodeGgmlRows(linear(4, codes, 0.5, 3), GGML_TYPE.Q4_1);
    expect(b.length).toBe(20);
    expect([...b.subarray(0, 4)]).toEqual([0x00, 0x38, 0x00, 0xbe]); // f16 0.5 = 0x3800, f16 -1.5 = 0xbe00
    for (let j = 0; j < 16; j++) expect(b[4 + j]).toBe(codes[j] | (codes[j + 16] << 4));
    expect([...q4_1ToF32(b, 32)]).toEqual(codes.map((c) => (c - 3) * 0.5));
  });

  it('Q5_1: the fifth bits in a little-endian u32, bit j for element j', () => {
    const codes = Array.from({ length: 32 }, (_, i) => i);
    const b = encodeGgmlRows(linear(5, codes, 0.25, 16), GGML_TYPE.Q5_1);
    expect(b.length).toBe(24);
    expect([...b.subarray(4, 8)]).toEqual([0x00, 0x00, 0xff, 0xff]);
    for (let j = 0; j < 16; j++) expect(b[8 + j]).toBe(j | (j << 4));
    expect([...q5_1ToF32(b, 32)]).toEqual(codes.map((c) => (c - 16) * 0.25));
  });

  it('Q8_0: q = code - 128 as int8 with d = scale', () => {
    const codes = Array.from({ length: 32 }, (_, i) => (i * 8 + 1) % 256);
    const b = encodeGgmlRows(linear(8, codes, 0.125, 128, true), GGML_TYPE.Q8_0);
    expect(b.length).toBe(34);
    expect([...q8_0ToF32(b, 32)]).toEqual(codes.map((c) => (c - 128) * 0.125));
  });

  it('refuses what a block cannot hold', () => {
    expect(() => encodeGgmlRows(linear(8, new Array(32).fill(0), 1, 127, false), GGML_TYPE.Q8_0)).toThrow(/symmetric 8-bit/);
    expect(() =>
      encodeGgmlRows({ ...linear(4, new Array(32).fill(0), 1, 1), cols: 32, spec: { bits: 4, groupSize: 16, symmetric: false } }, GGML_TYPE.Q4_1),
    ).toThrow(/groups of 16/);
  });
});

async function ppl(model: LoadedModel['weights']['config'], w: (n: string) => Float32Array | Float64Array, tokens: number[]): Promise<number> {
  let nll = 0,
    count = 0;
  for (const win of evaluationWindows(tokens, 64, 2)) {
    const logits = forwardRef(model, w, win, 1, 64);
    const V = model.vocab;
    for (let i = 0; i < 63; i++) {
      const row = logits.subarray(i * V, (i + 1) * V);
      const m = Math.max(...row);
      nll += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[win[i + 1]];
      count++;
    }
  }
  return Math.exp(nll / count);
}

describe('GGUF export of stories260K, read back by the project loader', async () => {
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));
  const text = new TextDecoder().decode(await fixture('data/tinystories_val.txt').read(0, 12000));
  const tokens = [1, ...gguf.tokenizer.encode(text)];

  it('W4 g32 asym: Q4_1 holds the codes; down_proj (172 wide) is F32; perplexity within 1e-3', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false });
    const avail = ggufAvailability(q.quantized, gguf.tokenizer);
    expect(avail.available).toBe(true);
    expect(avail.floatTensors!.map((f) => f.tensor)).toEqual([0, 1, 2, 3, 4].map((l) => `model.layers.${l}.mlp.down_proj.weight`));
    expect(avail.reason).toMatch(/Q4_1.*Kept as F32.*mlp\.down_proj.*not a multiple of 32/);
    const sink = new MemorySink();
    const report = await exportGguf(q, sink, { fileName: 'm.gguf' });
    expect(report.notes.join('\n')).toMatch(/down_proj\.weight: F32/);
    const bytes = sink.get('m.gguf');
    const file = await readGguf(bytesSource('m.gguf', bytes));
    expect(file.tensors.get('blk.0.attn_q.weight')!.type).toBe(GGML_TYPE.Q4_1);
    expect(file.tensors.get('blk.0.ffn_down.weight')!.type).toBe(GGML_TYPE.F32);
    expect(file.metadata.get('general.file_type')).toBe(3);
    const back = await loadGguf(bytesSource('m.gguf', bytes));
    // the same model, now stored quantized (the card then says its baseline is the quantized model)
    expect({ ...back.weights.config, name: '' }).toEqual({ ...gguf.weights.config, name: '', storedQuantization: ['Q4_1'] });
    expect(back.tokenizer.encode(text.slice(0, 500))).toEqual(gguf.tokenizer.encode(text.slice(0, 500)));
    // Every weight: code·f16(s) + f16(−z·s) from the stored values (the GGUF is interleaved like the source).
    for (const l of q.quantized.linears.values()) {
      const got = await back.weights.get(`${l.name}.weight`);
      const exact = dequantizeLinear(l);
      if (l.name.endsWith('down_proj')) {
        expect(got).toEqual(exact);
        continue;
      }
      for (let i = 0; i < got.length; i++) {
        const k = Math.floor(i / l.cols) * (l.cols / 32) + Math.floor((i % l.cols) / 32);
        const want = l.codes[i] * f16(l.scales[k]) + f16(-l.zeros[k] * l.scales[k]);
        expect(Math.abs(got[i] - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);
      }
    }
    const pRef = await ppl(gguf.weights.config, await referenceWeights(q), tokens);
    const pBack = await ppl(back.weights.config, await allWeights(back), tokens);
    expect(Math.abs(pBack - pRef) / pRef).toBeLessThan(1e-3);
  });

  it('W8 g32 sym: Q8_0; a half-split HF source is written back in the interleaved layout', async () => {
    const hf = await loadHfFolder(hfFolderSources());
    const q = await quantizeOnCpu(hf, { bits: 8, groupSize: 32, symmetric: true });
    const input = { ...q, model: { ...hf, tokenizer: gguf.tokenizer } };
    const sink = new MemorySink();
    await exportGguf(input, sink, { fileName: 'm.gguf' });
    const back = await loadGguf(bytesSource('m.gguf', sink.get('m.gguf')));
    expect(back.weights.config.ropeStyle).toBe('interleaved');
    const file = await readGguf(bytesSource('m.gguf', sink.get('m.gguf')));
    expect(file.tensors.get('blk.0.attn_k.weight')!.type).toBe(GGML_TYPE.Q8_0);
    const pRef = await ppl(hf.weights.config, await referenceWeights(q), tokens);
    const pBack = await ppl(back.weights.config, await allWeights(back), tokens);
    expect(Math.abs(pBack - pRef) / pRef).toBeLessThan(1e-3);
  });

  it('says why when the run cannot be held', async () => {
    const cases: [QuantSpec, RegExp][] = [
      [{ bits: 8, groupSize: 32, symmetric: false }, /asymmetric 8-bit groups need a zero point/],
      [{ bits: 4, groupSize: 64, symmetric: false }, /Q4_1 blocks are 32 inputs.*groups of 64/],
      [{ bits: 4, groupSize: 0, symmetric: true }, /one scale per output channel/],
    ];
    for (const [spec, why] of cases) {
      const q = await quantizeOnCpu(gguf, spec);
      expect(ggufAvailability(q.quantized, gguf.tokenizer)).toMatchObject({ available: false, reason: expect.stringMatching(why) });
      await expect(exportGguf(q, new MemorySink())).rejects.toBeInstanceOf(ExportUnavailableError);
    }
  });

  it("the HF folder's SentencePiece-style tokenizer.json goes back to a llama vocabulary that tokenizes as the original GGUF", async () => {
    const hf = await loadHfFolder(hfFolderSources());
    const q = await quantizeOnCpu(hf, { bits: 4, groupSize: 32, symmetric: false });
    expect(ggufAvailability(q.quantized, hf.tokenizer)).toMatchObject({ available: true });
    const sink = new MemorySink();
    await exportGguf(q, sink, { fileName: 'm.gguf' });
    const back = await loadGguf(bytesSource('m.gguf', sink.get('m.gguf')));
    const text = fixtureText('data/tinystories_val.txt').slice(0, 4000);
    const want = gguf.tokenizer.encode(text);
    expect(hf.tokenizer.encode(text)).toEqual(want);
    expect(back.tokenizer.encode(text)).toEqual(want);
    expect(back.tokenizer.decode(want)).toBe(gguf.tokenizer.decode(want));
  });
});

describe('Qwen as llama.cpp architectures', () => {
  // llama.cpp's gguf-py/gguf/constants.py: MODEL_ARCH.QWEN3's tensors (token_embd, output_norm,
  // output, attn_norm, attn_q, attn_q_norm, attn_k, attn_k_norm, attn_v, attn_output, ffn_norm,
  // ffn_gate, ffn_down, ffn_up) named "blk.{bid}.<name>"; QWEN2's the same without the two norms,
  // with the q/k/v biases convert_hf_to_gguf.py writes. Both rotate NEOX-style (LLAMA_ROPE_TYPE_NEOX
  // in llama-model.cpp): Q/K rows stay as transformers stores them.
  const QWEN3_BLOCK = ['attn_norm', 'attn_q', 'attn_q_norm', 'attn_k', 'attn_k_norm', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_down', 'ffn_up'];
  it.each([
    ['Qwen3-0.6B-style', 'qwen3', QWEN3_BLOCK.map((n) => `${n}.weight`)],
    [
      'Qwen2.5-style',
      'qwen2',
      [...QWEN3_BLOCK.filter((n) => !['attn_q_norm', 'attn_k_norm'].includes(n)).map((n) => `${n}.weight`), 'attn_q.bias', 'attn_k.bias', 'attn_v.bias'],
    ],
  ])('%s is written as general.architecture "%s" with its keys and tensor names, Q/K rows as stored', async (name, arch, block) => {
    const k = CHECKPOINT_CASES.find((c) => c.name === name)!;
    const model = await loadModelFromFiles(writeCheckpoint(k).files);
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportGguf(q, sink);
    const file = await readGguf(bytesSource('x.gguf', [...sink.files.values()][0]));
    expect(file.metadata.get('general.architecture')).toBe(arch);
    const cfg = model.weights.config;
    for (const [key, v] of [
      ['block_count', cfg.layers],
      ['embedding_length', cfg.hidden],
      ['feed_forward_length', cfg.intermediate],
      ['attention.head_count', cfg.heads],
      ['attention.head_count_kv', cfg.kvHeads],
      ['attention.key_length', cfg.headDim],
      ['rope.freq_base', cfg.ropeTheta],
    ] as const)
      expect(file.metadata.get(`${arch}.${key}`), key).toBe(v);
    expect(file.metadata.get('tokenizer.ggml.pre')).toBe('qwen2');
    const expected = ['token_embd.weight', 'output_norm.weight', ...Array.from({ length: cfg.layers }, (_, l) => block.map((n) => `blk.${l}.${n}`)).flat()];
    expect([...file.tensors.keys()].sort()).toEqual(expected.sort()); // tied: no output.weight
    // NEOX: k's rows read back in the order stored (a permutation would move whole rows far apart)
    const kName = 'model.layers.0.self_attn.k_proj';
    const back = await loadGguf(bytesSource('x.gguf', [...sink.files.values()][0]));
    expect(back.weights.config.ropeStyle).toBe('half');
    // and back to a Hugging Face folder as the Qwen class it came from
    expect(hfConfigJson(back.weights.config).architectures).toEqual(k.config.architectures);
    const stored = dequantizeLinear(q.quantized.linears.get(kName)!);
    const read = await back.weights.get(`${kName}.weight`);
    const scaleErr = stored.reduce((m, v, i) => Math.max(m, Math.abs(v - read[i])), 0);
    expect(scaleErr).toBeLessThan(1e-2 * stored.reduce((m, v) => Math.max(m, Math.abs(v)), 0)); // f16 scales, same row order
  });
});

describe("Phi-4-mini as llama.cpp's phi3", () => {
  // convert_hf_to_gguf.py's Phi3MiniModel: the fused qkv_proj and gate_up_proj as attn_qkv and ffn_up
  // (gate's rows first), Q/K rows as transformers stores them (LLAMA_ROPE_TYPE_NEOX), rope.dimension_count
  // int(partial_rotary_factor · hidden) / heads, context_length max_position_embeddings beside
  // rope.scaling.original_context_length, LongRoPE as rope_factors_long / _short tensors with
  // rope.scaling.attn_factor (never a rope.scaling.type), sliding_window (0 for none).
  const phi4 = () => CHECKPOINT_CASES.find((c) => c.name === 'Phi-4-mini-partial-rotary-style')!;
  const BLOCK = ['attn_norm', 'attn_qkv', 'attn_output', 'ffn_norm', 'ffn_up', 'ffn_down'];

  it("is written with phi3's keys and tensor names", async () => {
    const model = await loadModelFromFiles(writeCheckpoint(phi4()).files);
    const q = await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportGguf(q, sink);
    const file = await readGguf(bytesSource('x.gguf', [...sink.files.values()][0]));
    const cfg = model.weights.config;
    expect(file.metadata.get('general.architecture')).toBe('phi3');
    for (const [key, v] of [
      ['context_length', 131072],
      ['rope.scaling.original_context_length', 4096],
      ['rope.dimension_count', 12],
      ['rope.scaling.attn_factor', 1], // folded into q's and k's rotated rows
      ['attention.sliding_window', 262144],
      ['attention.head_count_kv', cfg.kvHeads],
    ] as const)
      expect(file.metadata.get(`phi3.${key}`), key).toBe(v);
    expect(file.metadata.has('phi3.rope.scaling.type')).toBe(false);
    const expected = ['token_embd.weight', 'output_norm.weight', 'rope_factors_long.weight', 'rope_factors_short.weight'];
    for (let l = 0; l < cfg.layers; l++) expected.push(...BLOCK.map((n) => `blk.${l}.${n}.weight`));
    expect([...file.tensors.keys()].sort()).toEqual(expected.sort()); // tied: no output.weight
    expect(file.tensors.get('blk.0.attn_qkv.weight')!.ne).toEqual([cfg.hidden, (cfg.heads + 2 * cfg.kvHeads) * cfg.headDim]);
    expect(file.tensors.get('blk.0.ffn_up.weight')!.ne).toEqual([cfg.hidden, 2 * cfg.intermediate]);
  });

  it('a file as convert_hf_to_gguf.py writes it (F32, attention factor unfolded) loads as the transformers model', async () => {
    const written = writeCheckpoint(phi4());
    const c = written.config as Record<string, number> & { rope_scaling: { short_factor: number[]; long_factor: number[] } };
    // the vocabulary as the studio's own export writes it (not what is tested here)
    const model = await loadModelFromFiles(written.files);
    const sink = new MemorySink();
    await exportGguf(await quantizeOnCpu(model, { bits: 4, groupSize: 32, symmetric: false }), sink);
    const ours = await readGguf(bytesSource('x.gguf', [...sink.files.values()][0]));
    const kv: Record<string, KvValue> = {
      'general.architecture': { type: 'string', value: 'phi3' },
      'phi3.context_length': { type: 'u32', value: c.max_position_embeddings },
      'phi3.rope.scaling.original_context_length': { type: 'u32', value: c.original_max_position_embeddings },
      'phi3.embedding_length': { type: 'u32', value: c.hidden_size },
      'phi3.feed_forward_length': { type: 'u32', value: c.intermediate_size },
      'phi3.block_count': { type: 'u32', value: c.num_hidden_layers },
      'phi3.attention.head_count': { type: 'u32', value: c.num_attention_heads },
      'phi3.attention.head_count_kv': { type: 'u32', value: c.num_key_value_heads },
      'phi3.attention.layer_norm_rms_epsilon': { type: 'f32', value: c.rms_norm_eps },
      'phi3.rope.dimension_count': { type: 'u32', value: Math.trunc(c.partial_rotary_factor * c.hidden_size) / c.num_attention_heads },
      'phi3.rope.freq_base': { type: 'f32', value: c.rope_theta },
      'phi3.attention.sliding_window': { type: 'u32', value: c.sliding_window },
      'phi3.rope.scaling.attn_factor': {
        type: 'f32',
        value: Math.sqrt(1 + Math.log(c.max_position_embeddings / c.original_max_position_embeddings) / Math.log(c.original_max_position_embeddings)),
      },
      'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
      'tokenizer.ggml.pre': { type: 'string', value: ours.metadata.get('tokenizer.ggml.pre') as string },
      'tokenizer.ggml.tokens': { type: 'string[]', value: ours.metadata.get('tokenizer.ggml.tokens') as string[] },
      'tokenizer.ggml.token_type': { type: 'i32[]', value: Array.from(ours.metadata.get('tokenizer.ggml.token_type') as Int32Array) },
      'tokenizer.ggml.merges': { type: 'string[]', value: ours.metadata.get('tokenizer.ggml.merges') as string[] },
      'tokenizer.ggml.bos_token_id': { type: 'u32', value: c.bos_token_id },
      'tokenizer.ggml.eos_token_id': { type: 'u32', value: c.eos_token_id },
    };
    const f32 = (name: string, values: ArrayLike<number>, ne: number[]): GgufTensorSpec => ({
      name,
      ne,
      type: GGML_TYPE.F32,
      data: new Uint8Array(Float32Array.from(values).buffer),
    });
    const hf = (n: string) => written.tensors.get(n)!;
    const H = c.hidden_size;
    const tensors = [
      f32('token_embd.weight', hf('model.embed_tokens.weight'), [H, c.vocab_size]),
      f32('output_norm.weight', hf('model.norm.weight'), [H]),
      f32('rope_factors_long.weight', c.rope_scaling.long_factor, [c.rope_scaling.long_factor.length]),
      f32('rope_factors_short.weight', c.rope_scaling.short_factor, [c.rope_scaling.short_factor.length]),
    ];
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      for (const [gguf, name] of [
        ['attn_norm', 'input_layernorm'],
        ['ffn_norm', 'post_attention_layernorm'],
        ['attn_qkv', 'self_attn.qkv_proj'],
        ['attn_output', 'self_attn.o_proj'],
        ['ffn_up', 'mlp.gate_up_proj'],
        ['ffn_down', 'mlp.down_proj'],
      ]) {
        const t = hf(`${p}.${name}.weight`);
        // ggml order: ne[0] is the row length (the input width)
        const cols = gguf === 'ffn_down' ? c.intermediate_size : H;
        tensors.push(f32(`blk.${l}.${gguf}.weight`, t, gguf.endsWith('norm') ? [t.length] : [cols, t.length / cols]));
      }
    }
    const back = await loadGguf(bytesSource('phi4.gguf', writeGguf({ kv, tensors })));
    expect(back.weights.config).toMatchObject({ rotaryDim: 12, slidingWindow: c.sliding_window, ropeStyle: 'half', maxPositions: c.max_position_embeddings });
    const ids = [c.bos_token_id, ...model.tokenizer.encode('the theater is in the north.')].slice(0, 10);
    const w = new Map<string, Float32Array>();
    for (const n of back.weights.shapes.keys()) w.set(n, await back.weights.get(n));
    // the attention factor folded into q's and k's rotated rows on load: one f32 rounding
    expect(
      maxRelErr(
        forwardRef(back.weights.config, (n) => w.get(n)!, ids, 1, ids.length),
        transformersLogits(written.config, written.tensors, ids),
      ),
    ).toBeLessThan(2e-7);
  });
});
