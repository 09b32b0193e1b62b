// ONNX export checked in onnxruntime (WASM, in Node): the exported stories260K computes the logits
// of the float64 reference forward on the dequantized weights; MatMulNBits packing against a
// hand-computed case; ragged K (172 inputs, groups of 32) and per-channel rows; clear refusals.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { fixture, hfFolderSources } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { exportOnnx, onnxAvailability, onnxBlockSize, packMatMulNBits } from './onnx';
import { decodeModel } from './onnx-proto';
import { scoreOnnx, type OrtModule } from './onnx-score';
import { MemorySink } from './sink';
import { maxRelErr, quantizeOnCpu, referenceWeights } from './testing';
import { onnxLogits } from './testing-onnx';
import { ExportUnavailableError } from './types';
import { evaluationWindows } from '../eval/windows';

ort.env.wasm.numThreads = 1;

const IDS = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267];

describe('MatMulNBits packing', () => {
  it('packs 4-bit codes, scales and zero points by hand', () => {
    // 2 rows x 40 inputs, groups of 16 -> blocks of 16, 3 blocks (the last ragged: 8 inputs).
    const codes = new Uint8Array(80).map((_, i) => i % 16);
    const q: QuantizedLinear = {
      name: 't',
      rows: 2,
      cols: 40,
      spec: { bits: 4, groupSize: 16, symmetric: false },
      codes,
      scales: Float32Array.of(0.5, 0.25, 2, 1, 3, 4),
      zeros: Float32Array.of(1, 2, 3, 4, 5, 6),
    };
    const p = packMatMulNBits(q, 16);
    expect(p.nBlocks).toBe(3);
    expect(p.B.length).toBe(2 * 3 * 8);
    // Row 0, block 0: codes 0..15 -> bytes (1<<4|0), (3<<4|2), ...
    expect([...p.B.subarray(0, 8)]).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    // Row 0, block 2 holds inputs 32..39 = codes 0..7, then zero padding.
    expect([...p.B.subarray(16, 24)]).toEqual([0x10, 0x32, 0x54, 0x76, 0, 0, 0, 0]);
    // Row 1 starts at code 40 % 16 = 8.
    expect(p.B[24]).toBe(0x98);
    expect([...p.scales]).toEqual([0.5, 0.25, 2, 1, 3, 4]);
    // Zero points: 3 blocks x 4 bits = 2 bytes per row, low nibble first.
    expect([...p.zeroPoints]).toEqual([0x21, 0x03, 0x54, 0x06]);
  });

  it('repeats a group scale over the blocks that tile it', () => {
    const q: QuantizedLinear = {
      name: 't',
      rows: 1,
      cols: 96,
      spec: { bits: 8, groupSize: 48, symmetric: true },
      codes: new Uint8Array(96).fill(7),
      scales: Float32Array.of(0.5, 0.75),
      zeros: Float32Array.of(128, 128),
    };
    expect(onnxBlockSize(48, 96)).toBe(16);
    const p = packMatMulNBits(q, 16);
    expect([...p.scales]).toEqual([0.5, 0.5, 0.5, 0.75, 0.75, 0.75]);
    expect([...p.zeroPoints]).toEqual([128, 128, 128, 128, 128, 128]);
  });

  it('block sizes: powers of two dividing the group, any single block per row', () => {
    expect(onnxBlockSize(32, 172)).toBe(32);
    expect(onnxBlockSize(128, 4096)).toBe(128);
    expect(onnxBlockSize(0, 172)).toBe(256);
    expect(onnxBlockSize(0, 64)).toBe(64);
    expect(onnxBlockSize(24, 96)).toBeNull();
    expect(onnxBlockSize(8, 64)).toBeNull();
  });
});

describe('ONNX export of stories260K in onnxruntime (WASM)', async () => {
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));

  for (const spec of [
    { bits: 4, groupSize: 32, symmetric: false },
    { bits: 8, groupSize: 0, symmetric: true },
    { bits: 2, groupSize: 64, symmetric: false },
  ] as QuantSpec[]) {
    it(`logits = float64 reference on the dequantized weights (W${spec.bits} g${spec.groupSize} ${spec.symmetric ? 'sym' : 'asym'})`, async () => {
      const q = await quantizeOnCpu(gguf, spec);
      const sink = new MemorySink();
      const report = await exportOnnx(q, sink, { fileName: 'm.onnx' });
      const bytes = sink.get('m.onnx');
      expect(report.files[0].bytes).toBe(bytes.byteLength);
      const got = await onnxLogits(bytes, IDS);
      const ref = forwardRef(gguf.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
      expect(maxRelErr(got, ref)).toBeLessThan(2e-5);
    });
  }

  // Groups along a shuffled column order, stored with their g_idx (GPTQ's act-order).
  const shuffled = (cols: number) => Int32Array.from({ length: cols }, (_, i) => i).sort((a, b) => ((a * 37) % cols) - ((b * 37) % cols));
  for (const spec of [
    { bits: 4, groupSize: 32, symmetric: false },
    { bits: 2, groupSize: 32, symmetric: false },
  ] as QuantSpec[]) {
    it(`act-order groups (g_idx): logits = float64 reference on the g_idx dequantization (W${spec.bits} g${spec.groupSize})`, async () => {
      const q = await quantizeOnCpu(gguf, spec, new Map(), shuffled);
      expect([...q.quantized.linears.values()].every((l) => l.gIdx && l.gIdx.some((k, c) => k !== Math.floor(c / 32)))).toBe(true);
      expect(onnxAvailability(q.quantized)).toMatchObject({
        available: true,
        reason: expect.stringContaining('35 GPTQ act-order Linears read their inputs through a Gather'),
      });
      const sink = new MemorySink();
      await exportOnnx(q, sink, { fileName: 'm.onnx' });
      const bytes = sink.get('m.onnx');
      const got = await onnxLogits(bytes, IDS);
      const ref = forwardRef(gguf.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
      expect(maxRelErr(got, ref)).toBeLessThan(2e-5);
      // the contiguous reading of the same codes is another model: g_idx reached the graph
      const plain = await quantizeOnCpu(gguf, spec);
      expect(maxRelErr(ref, forwardRef(gguf.weights.config, await referenceWeights(plain), IDS, 1, IDS.length))).toBeGreaterThan(1e-3);
      // one Gather of the inputs per input and order: q, k and v share theirs, so 4 per block
      const m = decodeModel(bytes) as { graph: { node: { opType: string; attribute?: { name: string; i?: number | { toNumber(): number } }[] }[] } };
      const lastAxis = (n: (typeof m.graph.node)[number]) => n.attribute?.some((a) => a.name === 'axis' && Number(a.i) === -1);
      const gathers = m.graph.node.filter((n) => n.opType === 'Gather' && lastAxis(n));
      expect(gathers.length).toBe(4 * gguf.weights.config.layers);
    });
  }

  it('refuses a g_idx whose groups are not the sizes act-order leaves, saying why', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false }, new Map(), shuffled);
    const l = q.quantized.linears.get('model.layers.1.self_attn.o_proj')!;
    l.gIdx = l.gIdx!.map((k, c) => (c < 40 ? 0 : k === 0 ? 1 : k));
    expect(onnxAvailability(q.quantized)).toMatchObject({ available: false, reason: expect.stringMatching(/o_proj: g_idx puts 40 input columns in group 0/) });
  });

  it('uses the transformed tensors: overrides (a rescaled norm, as AWQ/TEQ fold) reach the graph', async () => {
    const norm = 'model.layers.2.post_attention_layernorm.weight';
    const scaled = (await gguf.weights.get(norm)).map((v, i) => v * (0.5 + (i % 5) * 0.25));
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false }, new Map([[norm, scaled]]));
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const got = await onnxLogits(sink.get('m.onnx'), IDS);
    const ref = forwardRef(gguf.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
    expect(maxRelErr(got, ref)).toBeLessThan(2e-5);
  });

  it('the interleaved GGUF and the half-split HF folder export the same model', async () => {
    const hf = await loadHfFolder(hfFolderSources());
    const spec: QuantSpec = { bits: 4, groupSize: 32, symmetric: false };
    const a = new MemorySink();
    const b = new MemorySink();
    await exportOnnx(await quantizeOnCpu(gguf, spec), a, { fileName: 'm.onnx' });
    await exportOnnx(await quantizeOnCpu(hf, spec), b, { fileName: 'm.onnx' });
    const la = await onnxLogits(a.get('m.onnx'), IDS);
    const lb = await onnxLogits(b.get('m.onnx'), IDS);
    expect(maxRelErr(la, lb)).toBeLessThan(1e-5);
  });

  it('streams as one header plus one ModelProto per initializer, which protobuf merges', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const m = decodeModel(sink.get('m.onnx')) as {
      graph: { initializer: { name: string }[]; node: { opType: string; domain?: string }[] };
      opsetImport: unknown[];
    };
    const inits = m.graph.initializer.map((t) => t.name);
    expect(inits).toContain('model.layers.4.mlp.down_proj.qweight');
    expect(inits).toContain('model.embed_tokens.weight');
    expect(m.graph.node.filter((n) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft').length).toBe(5 * 7);
  });

  it('perplexity through scoreOnnx = float64 reference perplexity', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const text = new TextDecoder().decode(await fixture('data/tinystories_val.txt').read(0, 20000));
    const tokens = [1, ...gguf.tokenizer.encode(text)];
    const r = await scoreOnnx(ort as unknown as OrtModule, sink.get('m.onnx'), tokens, { windowLen: 64, windows: 3 });
    const w = await referenceWeights(q);
    let nll = 0,
      count = 0;
    for (const win of evaluationWindows(tokens, 64, 3)) {
      const logits = forwardRef(gguf.weights.config, w, win, 1, 64);
      const V = gguf.weights.config.vocab;
      for (let i = 0; i < 63; i++) {
        const row = logits.subarray(i * V, (i + 1) * V);
        const m = Math.max(...row);
        nll += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[win[i + 1]];
        count++;
      }
    }
    expect(r.scoredTokens).toBe(count);
    expect(Math.abs(r.ppl - Math.exp(nll / count)) / r.ppl).toBeLessThan(1e-5);
  });

  it('refuses 3-bit runs and groups that are not whole MatMulNBits blocks, saying why', async () => {
    const q3 = await quantizeOnCpu(gguf, { bits: 3, groupSize: 32, symmetric: false });
    expect(onnxAvailability(q3.quantized)).toMatchObject({ available: false, reason: expect.stringMatching(/2-, 4- and 8-bit.*3 bits/) });
    await expect(exportOnnx(q3, new MemorySink())).rejects.toBeInstanceOf(ExportUnavailableError);
    const q24 = await quantizeOnCpu(gguf, { bits: 4, groupSize: 24, symmetric: false });
    expect(onnxAvailability(q24.quantized).reason).toMatch(/groups of 24 .* not a whole number/);
  });
});
