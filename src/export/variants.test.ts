// Model variants the exporters must handle beyond stories260K's own shape: an untied lm_head and
// Qwen2-style Q/K/V biases (on an interleaved source, so the Q/K biases move with their rows).
// Checked against the float64 reference forward on the dequantized weights.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { bytesSource } from '../formats/byte-source';
import { loadGguf } from '../formats/gguf-model';
import { fixture } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import { mulberry32 } from '../reference/rng';
import type { LoadedModel, ModelConfig } from '../core/model-config';
import { linearName } from '../core/tensor-names';
import { exportOnnx } from './onnx';
import { exportGguf } from './gguf-writer';
import { exportGptq } from './gptq';
import { readGptqFolder } from './gptq-read';
import { MemorySink } from './sink';
import { maxRelErr, quantizeOnCpu, referenceWeights } from './testing';
import { onnxLogits } from './testing-onnx';

ort.env.wasm.numThreads = 1;
const IDS = [1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315];

function variant(base: LoadedModel, over: Partial<ModelConfig>, extra = new Map<string, Float32Array>()): LoadedModel {
  const config = { ...base.weights.config, ...over };
  const shapes = new Map(base.weights.shapes);
  for (const [n, v] of extra) shapes.set(n, [v.length]);
  return { ...base, weights: { config, shapes, get: async (n) => extra.get(n) ?? base.weights.get(n) } };
}

describe('export variants', async () => {
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));

  it('untied lm_head: ONNX logits = reference; GGUF writes output.weight', async () => {
    const m = variant(gguf, { tiedEmbeddings: false });
    const q = await quantizeOnCpu(m, { bits: 4, groupSize: 32, symmetric: false });
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const ref = forwardRef(m.weights.config, await referenceWeights(q), IDS, 1, IDS.length);
    expect(maxRelErr(await onnxLogits(sink.get('m.onnx'), IDS), ref)).toBeLessThan(2e-5);
    const g = new MemorySink();
    await exportGguf(q, g, { fileName: 'm.gguf' });
    const back = await loadGguf(bytesSource('m.gguf', g.get('m.gguf')));
    expect(back.weights.config.tiedEmbeddings).toBe(false);
    expect(await back.weights.get('lm_head.weight')).toEqual(await gguf.weights.get('model.embed_tokens.weight'));
  });

  it('Qwen2-style Q/K/V biases: ONNX logits = reference; GPTQ folder says Qwen2 and reads back', async () => {
    const cfg = gguf.weights.config;
    const r = mulberry32(7);
    const biases = new Map<string, Float32Array>();
    for (let l = 0; l < cfg.layers; l++) {
      for (const role of ['q', 'k', 'v'] as const) {
        const rows = role === 'q' ? cfg.heads * cfg.headDim : cfg.kvHeads * cfg.headDim;
        biases.set(
          `${linearName('llama', l, role)}.bias`,
          Float32Array.from({ length: rows }, () => (r() - 0.5) * 0.5),
        );
      }
    }
    const m = variant(gguf, { qkvBias: true, sourceArchitecture: 'Qwen2ForCausalLM' }, biases);
    const q = await quantizeOnCpu(m, { bits: 4, groupSize: 32, symmetric: true });
    const sink = new MemorySink();
    await exportOnnx(q, sink, { fileName: 'm.onnx' });
    const w = await referenceWeights(q);
    const ref = forwardRef(m.weights.config, w, IDS, 1, IDS.length);
    const noBias = forwardRef({ ...m.weights.config, qkvBias: false }, w, IDS, 1, IDS.length);
    expect(maxRelErr(noBias, ref)).toBeGreaterThan(1e-3); // the biases matter
    expect(maxRelErr(await onnxLogits(sink.get('m.onnx'), IDS), ref)).toBeLessThan(2e-5);
    const gq = new MemorySink();
    await exportGptq(q, gq);
    expect(JSON.parse(new TextDecoder().decode(gq.get('config.json'))).architectures).toEqual(['Qwen2ForCausalLM']);
    const back = await readGptqFolder([...gq.files].map(([n, b]) => bytesSource(n, b)));
    expect(back.model.weights.config.qkvBias).toBe(true);
    const cache = new Map<string, Float32Array>();
    for (const n of back.model.weights.shapes.keys()) cache.set(n, await back.model.weights.get(n));
    const backLogits = forwardRef(back.model.weights.config, (n) => cache.get(n)!, IDS, 1, IDS.length);
    expect(maxRelErr(backLogits, ref)).toBeLessThan(2e-3);
  });
});
