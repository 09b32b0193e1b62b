import { describe, expect, it } from 'vitest';
import { parseHfConfig } from './hf-config';
import { splitFusedLinears } from './fused-linears';
import type { TensorEntry } from './weight-source';

const phi3 = parseHfConfig({
  architectures: ['Phi3ForCausalLM'],
  model_type: 'phi3',
  hidden_size: 4,
  intermediate_size: 3,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 10,
  sliding_window: 2047,
});

const entry = (rows: number, cols: number): TensorEntry => ({
  shape: [rows, cols],
  file: 'model.safetensors',
  read: async () => Float32Array.from({ length: rows * cols }, (_, i) => i),
});

describe("Phi-3's fused Linears", () => {
  it('reads as LLaMA with its window, and each part is its rows of the fused tensor (q, k, v; gate, up)', async () => {
    expect([phi3.arch, phi3.slidingWindow, phi3.headDim]).toEqual(['llama', 2047, 2]);
    // q: 2 heads x 2 = 4 rows, k and v: 1 head x 2 = 2 rows each; gate and up 3 rows each; 4 columns
    const split = splitFusedLinears(
      phi3,
      new Map([
        ['model.layers.0.self_attn.qkv_proj.weight', entry(8, 4)],
        ['model.layers.0.mlp.gate_up_proj.weight', entry(6, 4)],
      ]),
    );
    const rowsOf = async (n: string) =>
      Array.from(await split.get(n)!.read())
        .filter((_, i) => i % 4 === 0)
        .map((v) => v / 4);
    expect(await rowsOf('model.layers.0.self_attn.q_proj.weight')).toEqual([0, 1, 2, 3]);
    expect(await rowsOf('model.layers.0.self_attn.k_proj.weight')).toEqual([4, 5]);
    expect(await rowsOf('model.layers.0.self_attn.v_proj.weight')).toEqual([6, 7]);
    expect(await rowsOf('model.layers.0.mlp.gate_proj.weight')).toEqual([0, 1, 2]);
    expect(await rowsOf('model.layers.0.mlp.up_proj.weight')).toEqual([3, 4, 5]);
    expect(split.has('model.layers.0.self_attn.qkv_proj.weight')).toBe(false);
    expect(split.get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([2, 4]);
  });
  it('one read of the fused tensor serves its parts, and a later round reads it again', async () => {
    let reads = 0;
    const counted = { ...entry(8, 4), read: async () => (reads++, entry(8, 4).read()) };
    const split = splitFusedLinears(phi3, new Map([['model.layers.0.self_attn.qkv_proj.weight', counted]]));
    const parts = ['q', 'k', 'v'].map((r) => split.get(`model.layers.0.self_attn.${r}_proj.weight`)!);
    for (const p of parts) await p.read();
    expect(reads).toBe(1);
    for (const p of parts) await p.read();
    expect(reads).toBe(2);
  });
  it("a fused tensor whose rows are not its parts' is refused, naming it and what the config implies", () => {
    expect(() => splitFusedLinears(phi3, new Map([['model.layers.0.self_attn.qkv_proj.weight', entry(9, 4)]]))).toThrow(
      /qkv_proj.*shape \[9, 4\] but config.json implies \[8, 4\]/,
    );
  });
});
