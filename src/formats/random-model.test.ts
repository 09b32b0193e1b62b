import { describe, expect, it } from 'vitest';
import { randomModel, RANDOM_SHAPES } from './random-model';

describe('random models with real shapes', () => {
  it('SmolLM2-135M shape: 30 layers, GQA 9/3, tied, ~135M parameters', () => {
    const m = randomModel('smollm2-135m');
    const c = m.weights.config;
    expect([c.hidden, c.layers, c.heads, c.kvHeads, c.intermediate, c.vocab, c.tiedEmbeddings]).toEqual([576, 30, 9, 3, 1536, 49152, true]);
    let params = 0;
    for (const [n, s] of m.weights.shapes) if (n !== 'lm_head.weight') params += s.reduce((a, b) => a * b, 1);
    expect(params).toBe(134_515_008);
  });
  it('Qwen2.5-0.5B shape has q/k/v biases and a 151,936 vocabulary', () => {
    const c = randomModel('qwen2.5-0.5b').weights.config;
    expect([c.hidden, c.layers, c.heads, c.kvHeads, c.intermediate, c.vocab, c.qkvBias]).toEqual([896, 24, 14, 2, 4864, 151936, true]);
  });
  it('LLaMA-3.2-1B shape: 1.24B parameters, tied, and rope_scaling llama3 read from its config.json', () => {
    const m = randomModel('llama3.2-1b');
    const c = m.weights.config;
    expect([c.hidden, c.layers, c.heads, c.kvHeads, c.headDim, c.intermediate, c.vocab, c.tiedEmbeddings]).toEqual([2048, 16, 32, 8, 64, 8192, 128256, true]);
    let params = 0;
    for (const [n, s] of m.weights.shapes) if (n !== 'lm_head.weight') params += s.reduce((a, b) => a * b, 1);
    expect(params).toBe(1_235_814_400); // the published count of Llama-3.2-1B
    expect(c.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  });
  it('weights are seeded and the byte-level tokenizer round-trips text', async () => {
    const a = randomModel('tiny-llama', 3),
      b = randomModel('tiny-llama', 3);
    const name = 'model.layers.1.mlp.down_proj.weight';
    expect(await a.weights.get(name)).toEqual(await b.weights.get(name));
    const ids = a.tokenizer.encode('Hello, wörld!');
    expect(ids.every((i) => i < 256)).toBe(true);
    expect(a.tokenizer.decode(ids)).toBe('Hello, wörld!');
    expect(Object.keys(RANDOM_SHAPES)).toContain('tiny-opt');
  });
});
