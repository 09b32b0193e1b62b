// The transformed full-precision export loads with the project's HF folder loader and holds the
// overrides (a scaled norm stands in for TEQ's folding) with everything else from the source; a
// GGUF (interleaved) source comes back half-split with the same logits.
import { describe, expect, it } from 'vitest';
import { bytesSource } from '../formats/byte-source';
import { loadGguf } from '../formats/gguf-model';
import { loadHfFolder } from '../formats/hf-folder';
import { randomModel } from '../formats/random-model';
import { readSafetensorsHeaderWithIntegers } from '../formats/safetensors';
import { fixture } from '../formats/testing/fixtures';
import { forwardRef } from '../reference/model';
import { exportFpSafetensors, fpAvailability } from './fp-safetensors';
import { exportGptq } from './gptq';
import { MemorySink } from './sink';
import { quantizeOnCpu } from './testing';

describe('full-precision transformed export', async () => {
  const gguf = await loadGguf(fixture('models/stories260K.gguf'));

  it('writes the overrides and the source, loadable as an HF folder with the same logits', async () => {
    const norm = 'model.layers.1.input_layernorm.weight';
    const scaled = (await gguf.weights.get(norm)).map((v, i) => v * (1 + 0.01 * (i % 7)));
    const q = await quantizeOnCpu(gguf, { bits: 4, groupSize: 32, symmetric: false }, new Map([[norm, scaled]]));
    expect(fpAvailability(q.quantized, gguf.tokenizer).reason).toMatch(/1 tensors changed/);
    const sink = new MemorySink();
    await exportFpSafetensors(q, sink);
    const back = await loadHfFolder([...sink.files].map(([n, b]) => bytesSource(n, b)));
    expect(back.weights.config.ropeStyle).toBe('half');
    expect(await back.weights.get(norm)).toEqual(scaled);
    expect(await back.weights.get('model.layers.3.mlp.down_proj.weight')).toEqual(await gguf.weights.get('model.layers.3.mlp.down_proj.weight'));
    const cache = new Map<string, Float32Array>();
    for (const n of gguf.weights.shapes.keys()) cache.set(n, n === norm ? scaled : await gguf.weights.get(n));
    const backCache = new Map<string, Float32Array>();
    for (const n of back.weights.shapes.keys()) backCache.set(n, await back.weights.get(n));
    const ids = [1, 403, 407, 261, 378, 432, 383, 286];
    const a = forwardRef(gguf.weights.config, (n) => cache.get(n)!, ids, 1, ids.length);
    const b = forwardRef(back.weights.config, (n) => backCache.get(n)!, ids, 1, ids.length);
    let e = 0;
    for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
    expect(e).toBeLessThan(1e-9);
    expect(back.tokenizer.encode('Once upon a time')).toEqual(gguf.tokenizer.encode('Once upon a time'));
  });
});

describe('HF config of the folder exports', () => {
  it('keeps a tied head tied (no lm_head.weight) and the source context length, LLaMA family', async () => {
    const m = randomModel('tiny-qwen2');
    expect(m.weights.config).toMatchObject({ tiedEmbeddings: true, maxPositions: 512 });
    const q = await quantizeOnCpu(m, { bits: 4, groupSize: 16, symmetric: false });
    for (const write of [(s: MemorySink) => exportFpSafetensors(q, s), (s: MemorySink) => exportGptq(q, s, { checkpointFormat: 'gptq_v2' })]) {
      const sink = new MemorySink();
      await write(sink);
      const config = JSON.parse(new TextDecoder().decode(sink.get('config.json')));
      expect(config).toMatchObject({ architectures: ['Qwen2ForCausalLM'], tie_word_embeddings: true, max_position_embeddings: 512 });
      const header = await readSafetensorsHeaderWithIntegers(bytesSource('model.safetensors', sink.get('model.safetensors')));
      expect(header.tensors.has('lm_head.weight')).toBe(false);
    }
  });
});
