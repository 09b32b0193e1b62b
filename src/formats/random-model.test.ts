import { describe, expect, it } from 'vitest';
import { randomModel, randomTensor, RANDOM_SHAPES } from './random-model';
import { mulberry32 } from '../reference/rng';

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
  it('Qwen3-0.6B shape: per-head q/k norms of head_dim 128 (twice hidden/heads), 0.44B parameters outside the embedding', () => {
    const m = randomModel('qwen3-0.6b');
    const c = m.weights.config;
    expect([c.hidden, c.layers, c.heads, c.kvHeads, c.headDim, c.intermediate, c.vocab, c.tiedEmbeddings, c.qkNorm]).toEqual([
      1024,
      28,
      16,
      8,
      128,
      3072,
      151936,
      true,
      true,
    ]);
    expect(m.weights.shapes.get('model.layers.27.self_attn.k_norm.weight')).toEqual([128]);
    let params = 0;
    for (const [n, s] of m.weights.shapes) if (n !== 'lm_head.weight' && n !== 'model.embed_tokens.weight') params += s.reduce((a, b) => a * b, 1);
    // by hand: 28 x (q 1024x2048 + k, v 1024x1024 + o 2048x1024 + 3 x 1024x3072 + 2 x 1024 + 2 x 128) + 1024; the model card says 0.44B
    expect(params).toBe(440_467_456);
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
  it('Phi-4-mini shape: 3.84B parameters, RoPE on 96 of 128 head dims with 48 LongRoPE factors', () => {
    const m = randomModel('phi4-mini');
    const c = m.weights.config;
    expect([c.hidden, c.layers, c.heads, c.kvHeads, c.headDim, c.rotaryDim, c.intermediate, c.vocab, c.tiedEmbeddings]).toEqual([
      3072,
      32,
      24,
      8,
      128,
      96,
      8192,
      200064,
      true,
    ]);
    let params = 0;
    for (const [n, s] of m.weights.shapes) if (n !== 'lm_head.weight') params += s.reduce((a, b) => a * b, 1);
    expect(params).toBe(3_836_021_760); // the published count of Phi-4-mini-instruct
    expect(c.ropeScaling).toMatchObject({ type: 'longrope', originalMaxPositions: 4096 });
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
  it('the fused generator draws exactly the two-pass values (mulberry32 pairs, Box-Muller, f32 rounding, then offset + scale)', () => {
    // the generator as first written, from the shared mulberry32 and the FNV-1a name hash
    const twoPass = (name: string, n: number, seed: number) => {
      let h = 2166136261;
      for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
      const r = mulberry32((h >>> 0) ^ seed);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i += 2) {
        const u = Math.max(r(), 1e-12),
          v = r();
        const m = Math.sqrt(-2 * Math.log(u));
        out[i] = m * Math.cos(2 * Math.PI * v);
        if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
      }
      const norm = /norm\.weight$/.test(name);
      for (let i = 0; i < n; i++) out[i] = (norm ? 1 : 0) + (norm ? 0.1 : 0.02) * out[i];
      return out;
    };
    for (const [name, shape, seed] of [
      ['model.layers.3.mlp.up_proj.weight', [37, 29], 0],
      ['model.layers.0.input_layernorm.weight', [1001], 7],
      ['model.embed_tokens.weight', [4096, 16], 0x7fffffff],
    ] as const) {
      const got = randomTensor(name, [...shape], seed);
      const want = twoPass(name, shape[0] * (shape[1] ?? 1), seed);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
    }
  });
  it('keep: each tensor is drawn once and handed out as equal, independent copies', async () => {
    const kept = randomModel('tiny-llama3', 5, { keep: true }); // tied: lm_head is the embedding
    const fresh = randomModel('tiny-llama3', 5);
    const name = 'model.layers.0.self_attn.q_proj.weight';
    const a = await kept.weights.get(name);
    a.fill(0); // a caller scaling its copy must not change what the next caller gets
    expect(await kept.weights.get(name)).toEqual(await fresh.weights.get(name));
    expect(await kept.weights.get('lm_head.weight')).toEqual(await fresh.weights.get('model.embed_tokens.weight'));
  });
});
