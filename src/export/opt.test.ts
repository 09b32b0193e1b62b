// OPT exports (learned positions at offset 2, LayerNorm with bias, biases on every Linear, ReLU,
// tied or separate LM head): a tiny OPT folder loaded by the studio's own HF loader, quantized on
// the CPU with the float64 quantizer twin, then
//   ONNX: run in onnxruntime (WASM) against the float64 forward of the dequantized weights;
//   fp-safetensors: re-loaded by the HF loader, the same tensors and logits, tied head not duplicated;
//   GPTQ: read back to the same codes, zero points and (fp16) scales, logits within fp16 rounding.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import type { LoadedModel } from '../core/model-config';
import type { QuantSpec } from '../core/quant-spec';
import { bytesSource, type ByteSource } from '../formats/byte-source';
import { expectedShapes, parseHfConfig } from '../formats/hf-config';
import { loadHfFolder } from '../formats/hf-folder';
import { RANDOM_SHAPES, randomTensor, randomTokenizerJson } from '../formats/random-model';
import { readSafetensorsHeader, readSafetensorsHeaderWithIntegers, writeSafetensors } from '../formats/safetensors';
import { forwardRef } from '../reference/model';
import { exportFpSafetensors } from './fp-safetensors';
import { exportGptq, gptqAvailability } from './gptq';
import { readGptqFolder } from './gptq-read';
import { exportAvailability, exportModel } from './index';
import { exportOnnx, onnxAvailability } from './onnx';
import { MemorySink } from './sink';
import { maxRelErr, quantizeOnCpu, referenceWeights } from './testing';
import { onnxLogits } from './testing-onnx';

ort.env.wasm.numThreads = 1;

const IDS = [256, 72, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100, 33, 10, 299, 3];
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/** A tiny OPT checkpoint as a folder the HF loader reads (saved without lm_head when tied, as transformers does). */
async function tinyOpt(tied: boolean): Promise<LoadedModel> {
  const configJson = { ...RANDOM_SHAPES['tiny-opt'], tie_word_embeddings: tied, max_position_embeddings: 40 };
  const shapes = expectedShapes(parseHfConfig(configJson));
  const tensors = [...shapes]
    .filter(([name]) => !(tied && name === 'lm_head.weight'))
    // LayerNorm biases and Linear biases away from zero so a dropped bias shows.
    .map(([name, shape]) => ({ name, shape, data: randomTensor(name, shape, 7).map((v) => (name.endsWith('.bias') ? v * 10 : v)) }));
  const files: ByteSource[] = [
    bytesSource('tiny-opt/config.json', json(configJson)),
    bytesSource('tiny-opt/tokenizer.json', json(randomTokenizerJson(300))),
    bytesSource('tiny-opt/model.safetensors', writeSafetensors(tensors)),
  ];
  return loadHfFolder(files, 'local:tiny-opt');
}

async function allWeights(m: LoadedModel): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const n of m.weights.shapes.keys()) out.set(n, await m.weights.get(n));
  return out;
}

const W4: QuantSpec = { bits: 4, groupSize: 16, symmetric: false };

describe('OPT export', async () => {
  const tied = await tinyOpt(true);
  const untied = await tinyOpt(false);

  it('the fixture is an OPT the studio loads: learned positions at offset 2, biases, tied head', () => {
    expect(tied.weights.config).toMatchObject({ arch: 'opt', positionOffset: 2, tiedEmbeddings: true, outBias: true, mlpBias: true, maxPositions: 40 });
    expect(untied.weights.config.tiedEmbeddings).toBe(false);
  });

  for (const [label, model] of [
    ['tied', tied],
    ['untied', untied],
  ] as const) {
    for (const spec of [W4, { bits: 8, groupSize: 0, symmetric: true }, { bits: 2, groupSize: 32, symmetric: false }] as QuantSpec[]) {
      it(`ONNX (${label}, W${spec.bits} g${spec.groupSize}): onnxruntime logits = float64 forward of the dequantized weights`, async () => {
        const q = await quantizeOnCpu(model, spec);
        expect(onnxAvailability(q.quantized)).toMatchObject({ available: true });
        const sink = new MemorySink();
        await exportOnnx(q, sink, { fileName: 'm.onnx' });
        const got = await onnxLogits(sink.get('m.onnx'), IDS);
        const ref = forwardRef(model.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
        expect(maxRelErr(got, ref)).toBeLessThan(2e-5);
        // The source model's float logits differ from the quantized ones by more than the tolerance.
        const fp = await allWeights(model);
        expect(
          maxRelErr(
            got,
            forwardRef(model.weights.config, (n) => fp.get(n)!, IDS, 1, IDS.length),
          ),
        ).toBeGreaterThan(1e-4);
      });
    }
  }

  it('ONNX uses the transformed LayerNorm (weight and bias overrides, as AWQ/TEQ fold into OPT)', async () => {
    const w = 'model.decoder.layers.1.final_layer_norm.weight';
    const b = 'model.decoder.layers.1.final_layer_norm.bias';
    const overrides = new Map([
      [w, (await tied.weights.get(w)).map((v, i) => v * (0.5 + (i % 5) * 0.25))],
      [b, (await tied.weights.get(b)).map((v, i) => v + 0.01 * (i % 3))],
    ]);
    const q = await quantizeOnCpu(tied, W4, overrides);
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const got = await onnxLogits(sink.get('m.onnx'), IDS);
    expect(maxRelErr(got, forwardRef(tied.weights.config, await referenceWeights(q), IDS, 1, IDS.length))).toBeLessThan(2e-5);
  });

  it('fp-safetensors: re-loads with the HF loader, same tensors and logits; tied head not duplicated, context kept', async () => {
    const norm = 'model.decoder.layers.0.self_attn_layer_norm.weight';
    const scaled = (await tied.weights.get(norm)).map((v, i) => v * (1 + 0.01 * (i % 7)));
    const q = await quantizeOnCpu(tied, W4, new Map([[norm, scaled]]));
    const sink = new MemorySink();
    await exportModel('fp-safetensors', q, sink);
    const config = JSON.parse(new TextDecoder().decode(sink.get('config.json')));
    expect(config).toMatchObject({ architectures: ['OPTForCausalLM'], tie_word_embeddings: true, max_position_embeddings: 40, word_embed_proj_dim: 32 });
    const header = await readSafetensorsHeader(bytesSource('model.safetensors', sink.get('model.safetensors')));
    expect(header.tensors.has('lm_head.weight')).toBe(false);
    expect(header.tensors.has('model.decoder.embed_positions.weight')).toBe(true);
    const back = await loadHfFolder([...sink.files].map(([n, bytes]) => bytesSource(`out/${n}`, bytes)));
    expect(back.weights.config).toMatchObject({ arch: 'opt', tiedEmbeddings: true, maxPositions: 40, positionOffset: 2 });
    const a = await allWeights(tied);
    a.set(norm, scaled);
    const b = await allWeights(back);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [n, v] of a) expect(b.get(n), n).toEqual(v);
    expect(back.tokenizer.encode('Hello world!')).toEqual(tied.tokenizer.encode('Hello world!'));
  });

  it('fp-safetensors of an untied OPT writes lm_head and tie_word_embeddings false', async () => {
    const sink = new MemorySink();
    await exportFpSafetensors(await quantizeOnCpu(untied, W4), sink);
    expect(JSON.parse(new TextDecoder().decode(sink.get('config.json'))).tie_word_embeddings).toBe(false);
    const back = await loadHfFolder([...sink.files].map(([n, bytes]) => bytesSource(n, bytes)));
    expect(await back.weights.get('lm_head.weight')).toEqual(await untied.weights.get('lm_head.weight'));
  });

  for (const [label, model] of [
    ['tied', tied],
    ['untied', untied],
  ] as const) {
    it(`GPTQ (${label}): read back to the stored codes and zero points, logits = the in-memory quantized model's`, async () => {
      const q = await quantizeOnCpu(model, W4);
      const avail = gptqAvailability(q.quantized, model.tokenizer, 'gptq_v2');
      expect(avail).toMatchObject({ available: true, floatTensors: [] });
      const sink = new MemorySink();
      await exportGptq(q, sink, { checkpointFormat: 'gptq_v2' });
      const config = JSON.parse(new TextDecoder().decode(sink.get('config.json')));
      expect(config).toMatchObject({ architectures: ['OPTForCausalLM'], tie_word_embeddings: label === 'tied', max_position_embeddings: 40 });
      expect(config.quantization_config).toMatchObject({ bits: 4, group_size: 16, checkpoint_format: 'gptq_v2' });
      expect(config.quantization_config.modules_in_block_to_quantize).toBeUndefined();
      const header = await readSafetensorsHeaderWithIntegers(bytesSource('model.safetensors', sink.get('model.safetensors')));
      expect(header.tensors.has('lm_head.weight')).toBe(label === 'untied');
      expect(header.tensors.has('model.decoder.layers.1.fc2.qweight')).toBe(true);
      expect(header.tensors.has('model.decoder.layers.1.fc2.bias')).toBe(true);
      expect(header.tensors.has('model.decoder.final_layer_norm.bias')).toBe(true);

      const back = await readGptqFolder([...sink.files].map(([n, bytes]) => bytesSource(n, bytes)));
      expect(back.quantized.config).toMatchObject({ arch: 'opt', tiedEmbeddings: label === 'tied', maxPositions: 40 });
      expect(back.quantized.linears.size).toBe(q.quantized.linears.size);
      for (const [name, l] of q.quantized.linears) {
        const r = back.quantized.linears.get(name)!;
        expect(Buffer.from(r.codes).equals(Buffer.from(l.codes)), name).toBe(true);
        expect([...r.zeros]).toEqual([...l.zeros]);
        for (let i = 0; i < l.scales.length; i++) expect(Math.abs(r.scales[i] - l.scales[i])).toBeLessThanOrEqual(Math.abs(l.scales[i]) * 2 ** -10);
      }
      const bw = await allWeights(back.model);
      const got = forwardRef(back.model.weights.config, (n) => bw.get(n)!, IDS, 1, IDS.length);
      const ref = forwardRef(model.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
      expect(maxRelErr(got, ref)).toBeLessThan(2e-3);
    });
  }

  it('GGUF is refused for OPT, naming the formats that are available', async () => {
    const q = await quantizeOnCpu(tied, { bits: 4, groupSize: 32, symmetric: false });
    const a = exportAvailability(q.quantized, tied.tokenizer);
    expect(a.filter((x) => x.available).map((x) => x.format)).toEqual(['onnx', 'gptq', 'gptq-v2', 'fp-safetensors']);
    expect(a.find((x) => x.format === 'gguf')!.reason).toMatch(/llama\.cpp has no OPT.*ONNX.*GPTQ.*full-precision/);
  });
});
