import { describe, expect, it } from 'vitest';
import { parseHfConfig } from './hf-config';
import { foldGraniteMultipliers } from './granite-multipliers';
import type { TensorEntry } from './weight-source';

// hidden 4, 2 heads of 2 (sqrt(head_dim) = sqrt(2)), 1 layer
const granite = (tied: boolean) =>
  parseHfConfig({
    architectures: ['GraniteForCausalLM'],
    model_type: 'granite',
    hidden_size: 4,
    intermediate_size: 3,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    vocab_size: 10,
    embedding_multiplier: 4,
    residual_multiplier: 0.25,
    attention_multiplier: 0.5,
    logits_scaling: 8,
    tie_word_embeddings: tied,
  });

const NAMES = [
  'model.embed_tokens.weight',
  'model.norm.weight',
  'lm_head.weight',
  'model.layers.0.self_attn.q_proj.weight',
  'model.layers.0.self_attn.k_proj.weight',
  'model.layers.0.self_attn.o_proj.weight',
  'model.layers.0.mlp.down_proj.weight',
  'model.layers.0.mlp.up_proj.weight',
  'model.layers.0.input_layernorm.weight',
];

/** Every tensor [1, 1] holding 1, so a read gives the factor it was folded by. */
function ones(): Map<string, TensorEntry> {
  return new Map(NAMES.map((n) => [n, { shape: [1, 1], file: 'model.safetensors', read: async () => new Float32Array([1]) }]));
}

async function factors(tied: boolean): Promise<Record<string, number>> {
  const folded = foldGraniteMultipliers(granite(tied), ones());
  const out: Record<string, number> = {};
  for (const n of NAMES) out[n.replace(/^model\.(layers\.0\.)?/, '').replace(/\.weight$/, '')] = (await folded.get(n)!.read())[0];
  return out;
}

describe("Granite's multipliers folded into the LLaMA weights", () => {
  it('tied head: embedding x e, q x a*sqrt(d), o and down x r, the final norm x 1/(e*s); the rest as stored', async () => {
    expect(await factors(true)).toEqual({
      embed_tokens: 4,
      norm: Math.fround(1 / 32),
      lm_head: 4, // stored anyway, it stays the embedding
      'self_attn.q_proj': Math.fround(0.5 * Math.SQRT2),
      'self_attn.k_proj': 1,
      'self_attn.o_proj': 0.25,
      'mlp.down_proj': 0.25,
      'mlp.up_proj': 1,
      input_layernorm: 1,
    });
  });
  it('untied head: the final norm x 1/s, lm_head as stored', async () => {
    expect(await factors(false)).toMatchObject({ embed_tokens: 4, norm: 1 / 8, lm_head: 1 });
  });
  it("each read scales a new array: the reader's own is left alone and a second read is not scaled twice", async () => {
    const stored = new Float32Array([2, -3]);
    const tensors = new Map([['model.layers.0.self_attn.o_proj.weight', { shape: [1, 2], file: 'f', read: async () => stored }]]);
    const entry = foldGraniteMultipliers(granite(true), tensors).get('model.layers.0.self_attn.o_proj.weight')!;
    expect([...(await entry.read())]).toEqual([0.5, -0.75]);
    expect([...(await entry.read())]).toEqual([0.5, -0.75]);
    expect([...stored]).toEqual([2, -3]);
  });
  it('a model without multipliers keeps its tensors as they are', () => {
    const llama = { ...granite(true), sourceArchitecture: 'LlamaForCausalLM', foldedMultipliers: undefined };
    const tensors = ones();
    expect(foldGraniteMultipliers(llama, tensors)).toBe(tensors);
  });
});
