// GPTQ export: packing against hand-computed words, then stories260K written, read back with the
// project's safetensors reader (integer tensors) and unpacked to the same codes, zero points and
// (fp16) scales; v1 refuses zero points of 0 and says why; the read-back model's float64
// perplexity matches the quantized model's within 1e-3.
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../formats/byte-source';
import { floatToHalf, halfToFloat } from '../formats/dtype';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { fixture, hfFolderSources } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import { evaluationWindows } from '../eval/windows';
import type { ModelConfig } from '../core/model-config';
import type { QuantizedLinear } from '../core/quant-spec';
import { exportGptq, gptqAvailability, packGptqLinear } from './gptq';
import { readGptqFolder } from './gptq-read';
import { dequantizeLinear } from './model-parts';
import { MemorySink } from './sink';
import { quantizeOnCpu, referenceWeights } from './testing';
import { ExportUnavailableError } from './types';

const f16 = (x: number) => halfToFloat(floatToHalf(x));

function lin(rows: number, cols: number, bits: number, groupSize: number, codes: number[], scales: number[], zeros: number[]): QuantizedLinear {
  return {
    name: 't',
    rows,
    cols,
    spec: { bits, groupSize, symmetric: false },
    codes: Uint8Array.from(codes),
    scales: Float32Array.from(scales),
    zeros: Float32Array.from(zeros),
  };
}

describe('GPTQ packing by hand', () => {
  // W is [out = 2, in = 8]; GPTQ packs W^T: input rows into the bits of one int32 per output column.
  const codes = [1, 2, 3, 4, 5, 6, 7, 8, /* out 1 */ 15, 14, 13, 12, 11, 10, 9, 0];

  it('4-bit, 8 inputs x 2 outputs, one group: qweight [1, 2], qzeros stores zero - 1 (v1)', () => {
    const p = packGptqLinear(lin(2, 8, 4, 8, codes, [0.5, 0.25], [3, 8]), 'gptq');
    expect([...p.qweight]).toEqual([0x87654321 | 0, 0x09abcdef]);
    expect([...p.qzeros]).toEqual([0x72]); // out0: 3 - 1 = 2 (low nibble), out1: 8 - 1 = 7
    expect([...p.scales]).toEqual([0.5, 0.25]);
    expect([...p.gIdx]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...packGptqLinear(lin(2, 8, 4, 8, codes, [0.5, 0.25], [3, 8]), 'gptq_v2').qzeros]).toEqual([0x83]);
  });

  it('two groups of 4: g_idx, scales and qzeros are [groups, out]', () => {
    // scales/zeros stored [out, groups]: out0 (g0, g1), out1 (g0, g1).
    const p = packGptqLinear(lin(2, 8, 4, 4, codes, [1, 2, 3, 4], [1, 2, 5, 6]), 'gptq');
    expect([...p.gIdx]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect([...p.scales]).toEqual([1, 3, 2, 4]);
    expect([...p.qzeros]).toEqual([0x40, 0x51]);
    expect(() => packGptqLinear(lin(2, 8, 4, 4, codes, [1, 2, 3, 4], [0, 2, 5, 6]), 'gptq')).toThrow(/zero point 0/);
  });

  it('3-bit codes straddle words as GPTQ packs them (element 10 in bits 30-31 and bit 0 of the next word)', () => {
    const c = Array.from({ length: 32 }, (_, i) => (i === 10 ? 0b101 : i % 8));
    const p = packGptqLinear(lin(1, 32, 3, 32, c, [1], [4]), 'gptq');
    expect(p.qweight.length).toBe(3);
    expect(((p.qweight[0] >>> 30) & 3) | ((p.qweight[1] & 1) << 2)).toBe(0b101);
    for (let i = 0; i < 10; i++) expect((p.qweight[0] >>> (3 * i)) & 7).toBe(i % 8);
    expect((p.qweight[1] >>> 1) & 7).toBe(11 % 8);
  });
});

async function ppl(cfg: ModelConfig, w: (n: string) => Float32Array | Float64Array, tokens: number[]): Promise<number> {
  let nll = 0,
    count = 0;
  for (const win of evaluationWindows(tokens, 64, 2)) {
    const logits = forwardRef(cfg, w, win, 1, 64);
    for (let i = 0; i < 63; i++) {
      const row = logits.subarray(i * cfg.vocab, (i + 1) * cfg.vocab);
      const m = Math.max(...row);
      nll += m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) - row[win[i + 1]];
      count++;
    }
  }
  return Math.exp(nll / count);
}

const sources = (s: MemorySink) => [...s.files].map(([n, b]) => bytesSource(n, b));

describe('GPTQ export of stories260K, read back by the project reader', async () => {
  const hf = await loadHfFolder(hfFolderSources());
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));
  const text = new TextDecoder().decode(await fixture('data/tinystories_val.txt').read(0, 12000));
  const tokens = [1, ...gguf.tokenizer.encode(text)];

  it('W4 g32 sym: the same codes, zero points and fp16 scales; 172-wide MLP Linears stay float', async () => {
    const q = await quantizeOnCpu(hf, { bits: 4, groupSize: 32, symmetric: true });
    const avail = gptqAvailability(q.quantized, hf.tokenizer);
    expect(avail.available).toBe(true);
    expect(avail.reason).toMatch(/mlp\.gate_proj, mlp\.up_proj, mlp\.down_proj .*multiples of 32/);
    // Said where the person exports: with float Linears the folder is for transformers only.
    expect(avail.reason).toContain('transformers (optimum/GPTQModel) only: AutoGPTQ and vLLM expect every Linear packed');
    const sink = new MemorySink();
    const report = await exportGptq(q, sink);
    expect(report.files.map((f) => f.name).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = JSON.parse(new TextDecoder().decode(sink.get('config.json')));
    expect(config.quantization_config).toMatchObject({
      quant_method: 'gptq',
      bits: 4,
      group_size: 32,
      desc_act: false,
      sym: true,
      checkpoint_format: 'gptq',
      modules_in_block_to_quantize: [['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj']],
    });
    const back = await readGptqFolder(sources(sink));
    expect(back.checkpointFormat).toBe('gptq');
    for (const l of q.quantized.linears.values()) {
      const r = back.quantized.linears.get(l.name);
      if (/mlp/.test(l.name)) {
        expect(r).toBeUndefined();
        expect(await back.model.weights.get(`${l.name}.weight`)).toEqual(dequantizeLinear(l));
        continue;
      }
      expect(r!.codes).toEqual(l.codes);
      expect(r!.zeros).toEqual(l.zeros);
      expect(r!.scales).toEqual(l.scales.map(f16));
    }
    expect(back.model.tokenizer.encode(text.slice(0, 300))).toEqual(hf.tokenizer.encode(text.slice(0, 300)));
  });

  it('zero point 0: v1 is refused with the reason, gptq_v2 holds it', async () => {
    const q = await quantizeOnCpu(hf, { bits: 4, groupSize: 32, symmetric: false });
    const l = q.quantized.linears.get('model.layers.2.self_attn.k_proj')!;
    l.zeros[5] = 0;
    expect(gptqAvailability(q.quantized, hf.tokenizer, 'gptq')).toMatchObject({ available: false, reason: expect.stringMatching(/zero point 0.*gptq_v2/) });
    await expect(exportGptq(q, new MemorySink())).rejects.toBeInstanceOf(ExportUnavailableError);
    const sink = new MemorySink();
    await exportGptq(q, sink, { checkpointFormat: 'gptq_v2' });
    const back = await readGptqFolder(sources(sink));
    expect(back.quantized.linears.get(l.name)!.zeros).toEqual(l.zeros);
    expect(back.quantized.linears.get(l.name)!.codes).toEqual(l.codes);
  });

  it('act-order (g_idx): desc_act true, g_idx written as stored, the same dequantized weights read back', async () => {
    const q = await quantizeOnCpu(hf, { bits: 4, groupSize: 32, symmetric: false });
    // Groups by a column order other than the natural one, as GPTQ's act-order leaves them.
    for (const l of q.quantized.linears.values()) {
      const order = Array.from({ length: l.cols }, (_, i) => i).sort((a, b) => ((a * 37) % l.cols) - ((b * 37) % l.cols));
      l.gIdx = new Uint32Array(l.cols);
      order.forEach((c, k) => (l.gIdx![c] = Math.floor(k / 32)));
    }
    const sink = new MemorySink();
    await exportGptq(q, sink, { checkpointFormat: 'gptq_v2' });
    const config = JSON.parse(new TextDecoder().decode(sink.get('config.json')));
    expect(config.quantization_config.desc_act).toBe(true);
    const back = await readGptqFolder(sources(sink));
    let held = 0;
    for (const l of q.quantized.linears.values()) {
      const r = back.quantized.linears.get(l.name);
      if (r) {
        held++;
        expect(r.gIdx).toEqual(l.gIdx);
        expect(r.codes).toEqual(l.codes);
      }
      // packed or kept as float, the weights read back are the act-order dequantization
      const w = await back.model.weights.get(`${l.name}.weight`);
      const want = r ? dequantizeLinear({ ...l, scales: l.scales.map(f16) }) : dequantizeLinear(l);
      let worst = 0;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - want[i]));
      expect(worst).toBeLessThan(1e-6);
    }
    expect(held).toBeGreaterThan(0);
    // a contiguous-group reading of the same codes differs: g_idx matters
    const l0 = [...q.quantized.linears.values()][0];
    expect(dequantizeLinear({ ...l0, gIdx: undefined })).not.toEqual(dequantizeLinear(l0));
  });

  it('from the interleaved GGUF (Q/K rows permuted to half-split): perplexity within 1e-3', async () => {
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: true });
    const sink = new MemorySink();
    await exportGptq({ ...q, model: { ...gguf } }, sink);
    const back = await readGptqFolder(sources(sink));
    expect(back.model.weights.config.ropeStyle).toBe('half');
    const cache = new Map<string, Float32Array>();
    for (const n of back.model.weights.shapes.keys()) cache.set(n, await back.model.weights.get(n));
    const pRef = await ppl(gguf.weights.config, await referenceWeights(q), tokens);
    const pBack = await ppl(back.model.weights.config, (n) => cache.get(n)!, tokens);
    expect(Math.abs(pBack - pRef) / pRef).toBeLessThan(1e-3);
  });
});
