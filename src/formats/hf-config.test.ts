import { describe, expect, it } from 'vitest';
import { expectedShapes, parseHfConfig, toHfLlamaConfig } from './hf-config';
import { FormatError } from './errors';
import { checkContext } from '../engine/calibration';

const llama = (o: Record<string, unknown>) => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  intermediate_size: 96,
  vocab_size: 100,
  rope_theta: 500000,
  ...o,
});

describe('config.json rope_scaling', () => {
  it("reads LLaMA 3.1/3.2's llama3 scaling and writes it back into exported configs", () => {
    const rope_scaling = { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    const cfg = parseHfConfig(llama({ rope_scaling }));
    expect(cfg.ropeScaling).toEqual({ type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
    expect(toHfLlamaConfig(cfg).rope_scaling).toEqual(rope_scaling);
  });
  it("reads 'linear' (old transformers spell it type) and treats null or 'default' as none", () => {
    expect(parseHfConfig(llama({ rope_scaling: { type: 'linear', factor: 2 } })).ropeScaling).toEqual({ type: 'linear', factor: 2 });
    expect(parseHfConfig(llama({ rope_scaling: null })).ropeScaling).toBeUndefined();
    expect(parseHfConfig(llama({ rope_scaling: { rope_type: 'default' } })).ropeScaling).toBeUndefined();
    expect(toHfLlamaConfig(parseHfConfig(llama({}))).rope_scaling).toBeNull();
  });
  it('refuses kinds it does not implement and malformed factors, saying what was wrong', () => {
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'ntk-by-parts', factor: 4 } }))).toThrow(
      /rope_scaling "ntk-by-parts".*'linear', 'llama3', 'yarn', 'dynamic' and Phi-3's 'longrope'/,
    );
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }))).toThrow(FormatError);
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }))).toThrow(
      /original_max_position_embeddings is undefined/,
    );
    expect(() => parseHfConfig(llama({ rope_scaling: { rope_type: 'linear', factor: -1 } }))).toThrow(/factor is -1/);
  });
});

describe('YaRN', () => {
  const yarn = (rope: Record<string, unknown>, o: Record<string, unknown> = {}) =>
    llama({ max_position_embeddings: 131072, rope_scaling: { type: 'yarn', ...rope }, ...o });

  it("reads Qwen's recipe (4.x spelling), with the paper's betas, truncation and attention factor 0.1 ln(factor) + 1", () => {
    const cfg = parseHfConfig(yarn({ factor: 4, original_max_position_embeddings: 32768 }));
    expect(cfg.ropeScaling).toEqual({
      type: 'yarn',
      factor: 4,
      originalMaxPositions: 32768,
      betaFast: 32,
      betaSlow: 1,
      truncate: true,
      attentionFactor: 0.1 * Math.log(4) + 1,
    });
  });
  it('takes the factor from the lengths where absent, the original length from max_position_embeddings, betas of 0 as unset', () => {
    const v5 = parseHfConfig(
      llama({ max_position_embeddings: 8192, rope_parameters: { rope_type: 'yarn', rope_theta: 10000, original_max_position_embeddings: 2048, beta_fast: 0 } }),
    );
    expect(v5.ropeScaling).toMatchObject({ factor: 4, originalMaxPositions: 2048, betaFast: 32, betaSlow: 1 });
    expect(parseHfConfig(yarn({ factor: 2 })).ropeScaling).toMatchObject({ factor: 2, originalMaxPositions: 131072 });
  });
  it('an attention factor as given, or the mscale ratio where mscale and mscale_all_dim are both set (hand-computed)', () => {
    expect(parseHfConfig(yarn({ factor: 4, attention_factor: 1.25 })).ropeScaling).toMatchObject({ attentionFactor: 1.25 });
    // (0.1 · 1.5 · ln 3 + 1) / (0.1 · 0.5 · ln 3 + 1) = 1.164792 / 1.054931 = 1.104141
    const s = parseHfConfig(yarn({ factor: 3, mscale: 1.5, mscale_all_dim: 0.5 })).ropeScaling as { attentionFactor: number };
    expect(s.attentionFactor).toBeCloseTo(1.104141, 6);
    // one of the pair alone: the plain 0.1 ln(factor) + 1
    expect(parseHfConfig(yarn({ factor: 3, mscale: 1.5 })).ropeScaling).toMatchObject({ attentionFactor: 0.1 * Math.log(3) + 1 });
  });
  it('writes it back with attention_factor 1 (the weights carry it) and truncate only where false', () => {
    const back = toHfLlamaConfig(parseHfConfig(yarn({ factor: 4, original_max_position_embeddings: 32768, beta_fast: 16, truncate: false })));
    expect(back.rope_scaling).toEqual({
      rope_type: 'yarn',
      factor: 4,
      original_max_position_embeddings: 32768,
      beta_fast: 16,
      beta_slow: 1,
      truncate: false,
      attention_factor: 1,
    });
  });
  it('refuses a factor under 1, a bad length or truncate, naming the field', () => {
    expect(() => parseHfConfig(yarn({ factor: 0.5 }))).toThrow(/rope_scaling.factor is 0.5, expected at least 1/);
    expect(() => parseHfConfig(yarn({ factor: -2 }))).toThrow(/rope_scaling.factor is -2/);
    expect(() => parseHfConfig(yarn({ factor: 2, original_max_position_embeddings: 'long' }))).toThrow(/original_max_position_embeddings is "long"/);
    expect(() => parseHfConfig(yarn({ factor: 2, truncate: 'yes' }))).toThrow(/truncate is "yes", expected true or false/);
  });
});

describe('dynamic NTK', () => {
  it('reads it as unscaled up to max_position_embeddings (or the original length given), writes it back, refuses longer runs', () => {
    const cfg = parseHfConfig(llama({ max_position_embeddings: 4096, rope_scaling: { type: 'dynamic', factor: 2 } }));
    expect(cfg.ropeScaling).toEqual({ type: 'dynamic', factor: 2, originalMaxPositions: 4096 });
    expect(toHfLlamaConfig(cfg).rope_scaling).toEqual({ rope_type: 'dynamic', factor: 2, original_max_position_embeddings: 4096 });
    expect(() => checkContext(cfg, 4096)).not.toThrow();
    expect(() => checkContext(cfg, 4097)).toThrow(/4097 is longer than the 4096 positions up to which .*dynamic NTK.*at most 4096/);
    const given = parseHfConfig(
      llama({ max_position_embeddings: 8192, rope_scaling: { rope_type: 'dynamic', factor: 4, original_max_position_embeddings: 2048 } }),
    );
    expect(given.ropeScaling).toEqual({ type: 'dynamic', factor: 4, originalMaxPositions: 2048 });
    expect(() => parseHfConfig(llama({ rope_scaling: { type: 'dynamic' } }))).toThrow(/rope_scaling.factor is undefined/);
  });
});

describe('LongRoPE (Phi-3.5-mini, the 128k Phi-3s)', () => {
  const short = [1, 1.02, 1.05, 1.1, 1.3, 1.6, 2, 2.6];
  const long = [1.1, 1.4, 2.2, 4.5, 9, 16, 24, 32];
  /** Phi-3.5-mini-instruct's config.json (transformers 4.43), cut down to head_dim 16. */
  const phi35 = (rope: Record<string, unknown>, o: Record<string, unknown> = {}) => ({
    ...llama({}),
    architectures: ['Phi3ForCausalLM'],
    model_type: 'phi3',
    num_key_value_heads: 4,
    rope_theta: 10000,
    max_position_embeddings: 131072,
    original_max_position_embeddings: 4096,
    sliding_window: 262144,
    rope_scaling: { type: 'longrope', short_factor: short, long_factor: long, ...rope },
    ...o,
  });
  const derived = Math.sqrt(1 + Math.log(32) / Math.log(4096)); // factor = 131072 / 4096
  it('reads the factors, the original length from the top level and derives attention_factor from the lengths', () => {
    const cfg = parseHfConfig(phi35({}));
    expect(cfg.ropeScaling).toEqual({ type: 'longrope', shortFactor: short, longFactor: long, originalMaxPositions: 4096, attentionFactor: derived });
    expect(derived).toBeCloseTo(1.190238, 6);
    // given: taken as is; lengths equal (factor 1): none
    expect(parseHfConfig(phi35({ attention_factor: 1.5 })).ropeScaling).toMatchObject({ attentionFactor: 1.5 });
    expect(parseHfConfig(phi35({}, { max_position_embeddings: 4096 })).ropeScaling).toMatchObject({ attentionFactor: 1 });
    // a factor in the dict stands for the lengths' ratio (transformers 5)
    expect(parseHfConfig(phi35({ factor: 4 })).ropeScaling).toMatchObject({ attentionFactor: Math.sqrt(1 + Math.log(4) / Math.log(4096)) });
    // Phi-3-mini-128k's first upload spells it "su"
    expect(parseHfConfig(phi35({ type: 'su' })).ropeScaling).toMatchObject({ type: 'longrope', shortFactor: short });
  });
  it('reads transformers 5 rope_parameters with original_max_position_embeddings inside', () => {
    const v5 = phi35({}, { rope_scaling: undefined, rope_theta: undefined, original_max_position_embeddings: undefined });
    const cfg = parseHfConfig({
      ...v5,
      rope_parameters: { rope_type: 'longrope', rope_theta: 10000, short_factor: short, long_factor: long, original_max_position_embeddings: 2048 },
    });
    expect(cfg.ropeTheta).toBe(10000);
    expect(cfg.ropeScaling).toMatchObject({ originalMaxPositions: 2048, attentionFactor: Math.sqrt(1 + Math.log(64) / Math.log(2048)) });
  });
  it('writes it back with attention_factor 1 (the weights carry it) and the original length at both places', () => {
    const hf = toHfLlamaConfig(parseHfConfig(phi35({})));
    expect(hf.rope_scaling).toEqual({
      rope_type: 'longrope',
      short_factor: short,
      long_factor: long,
      original_max_position_embeddings: 4096,
      attention_factor: 1,
    });
    expect(hf.original_max_position_embeddings).toBe(4096);
  });
  it("reads Phi-4-mini's partial_rotary_factor (top level in 4.x, in rope_parameters in 5.x): its factors are per rotary pair", () => {
    // head_dim 16 x 0.75 = 12 rotary dims, 6 frequencies
    const partial = { partial_rotary_factor: 0.75 };
    const cfg = parseHfConfig(phi35({ short_factor: short.slice(0, 6), long_factor: long.slice(0, 6) }, partial));
    expect(cfg.rotaryDim).toBe(12);
    expect(cfg.ropeScaling).toMatchObject({ shortFactor: short.slice(0, 6) });
    expect(() => parseHfConfig(phi35({}, partial))).toThrow(/short_factor is .*expected 6 positive numbers \(one per rotary frequency\)/);
    const v5 = parseHfConfig({
      ...phi35({}, { rope_scaling: undefined, rope_theta: undefined }),
      rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 },
    });
    expect([v5.rotaryDim, v5.ropeScaling]).toEqual([8, undefined]);
    // int() truncates (16 x 0.4 = 6.4: 6); 1 means every dim (no rotaryDim)
    expect(parseHfConfig(phi35({ short_factor: short.slice(0, 3), long_factor: long.slice(0, 3) }, { partial_rotary_factor: 0.4 })).rotaryDim).toBe(6);
    expect(parseHfConfig(phi35({}, { partial_rotary_factor: 1 })).rotaryDim).toBeUndefined();
    for (const bad of [0.0625, 0, 1.5, '0.75'])
      expect(() => parseHfConfig(phi35({}, { partial_rotary_factor: bad }))).toThrow(
        /partial_rotary_factor is .*expected a number in \(0, 1\] giving an even count/,
      );
  });
  it('refuses factors of the wrong count or not positive, and bad lengths, naming the field', () => {
    expect(() => parseHfConfig(phi35({ short_factor: short.slice(1) }))).toThrow(
      /rope_scaling\.short_factor is .*expected 8 positive numbers \(one per rotary frequency\)/,
    );
    expect(() => parseHfConfig(phi35({ long_factor: [...long.slice(1), 0] }))).toThrow(/rope_scaling\.long_factor is .*expected 8 positive numbers/);
    expect(() => parseHfConfig(phi35({ short_factor: [...short.slice(1), -1] }))).toThrow(/rope_scaling\.short_factor/);
    expect(() => parseHfConfig(phi35({ long_factor: undefined }))).toThrow(/rope_scaling\.long_factor is undefined/);
    expect(() => parseHfConfig(phi35({}, { original_max_position_embeddings: 0 }))).toThrow(/"original_max_position_embeddings" is 0/);
    expect(() => parseHfConfig(phi35({ attention_factor: -1 }))).toThrow(/rope_scaling\.attention_factor is -1/);
    expect(() => parseHfConfig({ ...phi35({}), architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2' })).toThrow(
      /"longrope" in a Qwen2ForCausalLM config.*Phi3ForCausalLM and MistralForCausalLM only/,
    );
  });
  it('refuses a run longer than the original length (the long factors), with the length and what to do', () => {
    const cfg = parseHfConfig(phi35({}));
    expect(() => checkContext(cfg, 4096)).not.toThrow();
    expect(() => checkContext(cfg, 4097)).toThrow(/4097 is longer than .*original_max_position_embeddings of 4096.*long factors.*at most 4096/);
  });
});

describe('config.json as transformers 5 writes it (rope_parameters)', () => {
  it('reads rope_theta and the scaling from rope_parameters, never falling back to theta 10000', () => {
    const v5 = llama({ rope_theta: undefined, rope_parameters: { rope_type: 'default', rope_theta: 1000000 } });
    expect(parseHfConfig(v5)).toMatchObject({ ropeTheta: 1000000 });
    expect(parseHfConfig(v5).ropeScaling).toBeUndefined();
    const l3 = llama({
      rope_theta: undefined,
      rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(parseHfConfig(l3)).toMatchObject({ ropeTheta: 500000, ropeScaling: { type: 'llama3', factor: 32, originalMaxPositions: 8192 } });
  });
  it('refuses per-layer-type rope_parameters and partial rotary, naming them', () => {
    const nested = llama({
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
    });
    expect(() => parseHfConfig(nested)).toThrow(/rope_parameters per layer type \(full_attention, sliding_attention\)/);
    expect(() => parseHfConfig(llama({ rope_parameters: { rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } }))).toThrow(
      /partial_rotary_factor=0.5 \(rotary on part of each head, read for Phi3ForCausalLM only\)/,
    );
  });
  it("keeps Mistral's sliding_window (null: none) and ignores Qwen2's when use_sliding_window is false", () => {
    const mistral = (w: unknown) => ({ ...llama({}), architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: w });
    expect(parseHfConfig(mistral(4096)).slidingWindow).toBe(4096);
    expect(parseHfConfig(mistral(null)).slidingWindow).toBeUndefined();
    expect(() => parseHfConfig(mistral(-1))).toThrow(/sliding_window" is -1/);
    const qwen = { ...llama({}), architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', use_sliding_window: false, sliding_window: 32768 };
    expect(parseHfConfig(qwen).slidingWindow).toBeUndefined();
  });
});

describe('attention_bias and mlp_bias, as each transformers class takes them', () => {
  const biases = (arch: string, o: Record<string, unknown>) => {
    const c = parseHfConfig({ ...llama({}), architectures: [arch], ...o });
    const shapes = expectedShapes(c);
    const named = (role: string) => shapes.has(`model.layers.1.${role}.bias`);
    const roles = ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];
    return roles
      .filter(named)
      .map((r) => r.split('.')[1].replace('_proj', ''))
      .join(',');
  };
  const both = { attention_bias: true, mlp_bias: true };
  it('LLaMA and Granite: attention_bias on q, k, v and o, mlp_bias on gate, up and down', () => {
    for (const arch of ['LlamaForCausalLM', 'GraniteForCausalLM']) {
      expect(biases(arch, { attention_bias: true })).toBe('q,k,v,o');
      expect(biases(arch, { mlp_bias: true })).toBe('gate,up,down');
      expect(biases(arch, both)).toBe('q,k,v,o,gate,up,down');
      expect(biases(arch, {})).toBe('');
    }
  });
  it("Qwen3: attention_bias on q, k, v and o; its MLP has none (GemmaMLP's)", () => {
    expect(biases('Qwen3ForCausalLM', both)).toBe('q,k,v,o');
  });
  it('SmolLM3: attention_bias on q, k, v and o, mlp_bias on the MLP (as SmolLM3Attention and LlamaMLP build them)', () => {
    expect(biases('SmolLM3ForCausalLM', both)).toBe('q,k,v,o,gate,up,down');
  });
  it('Qwen2: always q, k and v, whatever the keys say; Mistral and Phi-3 (bias=False in their classes): never', () => {
    expect(biases('Qwen2ForCausalLM', both)).toBe('q,k,v');
    expect(biases('Qwen2ForCausalLM', {})).toBe('q,k,v');
    expect(biases('MistralForCausalLM', both)).toBe('');
    expect(expectedShapes(parseHfConfig({ ...llama({}), architectures: ['Phi3ForCausalLM'], ...both })).has('model.layers.0.self_attn.o_proj.bias')).toBe(
      false,
    );
  });
});

describe('config.json of Qwen3', () => {
  const qwen3 = (o: Record<string, unknown>) => ({ ...llama({}), architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', head_dim: 32, ...o });
  it('normalises q and k per head, keeps head_dim (128 where absent, as Qwen3Config does) and needs q_norm / k_norm tensors', () => {
    const c = parseHfConfig(qwen3({}));
    expect([c.qkNorm, c.headDim, c.qkvBias, c.outBias, c.mlpBias]).toEqual([true, 32, false, false, false]);
    expect(parseHfConfig(qwen3({ head_dim: undefined })).headDim).toBe(128);
    // by model_type alone (no architectures list)
    expect(parseHfConfig({ ...qwen3({}), architectures: undefined }).sourceArchitecture).toBe('Qwen3ForCausalLM');
    expect(parseHfConfig(llama({})).qkNorm).toBeUndefined();
  });
  it('keeps use_sliding_window as a window on the layers transformers windows: layer_types, else from max_window_layers on', () => {
    const w = (o: Record<string, unknown>) => {
      const c = parseHfConfig(qwen3({ use_sliding_window: true, sliding_window: 4096, ...o }));
      return [c.slidingWindow, c.slidingWindowLayers];
    };
    expect(w({ max_window_layers: 1 })).toEqual([4096, [1]]);
    expect(w({ layer_types: ['sliding_attention', 'full_attention'] })).toEqual([4096, [0]]);
    // Qwen3Config's default max_window_layers (28) is past these 2 layers: no layer is windowed
    expect(w({})).toEqual([undefined, undefined]);
    expect(w({ max_window_layers: 0, use_sliding_window: false })).toEqual([undefined, undefined]);
    expect(() => w({ max_window_layers: 0, sliding_window: -1 })).toThrow(/"sliding_window" is -1, expected a positive integer or null/);
  });
});

describe('config.json of SmolLM3', () => {
  const smol3 = (o: Record<string, unknown>) => ({ ...llama({}), architectures: ['SmolLM3ForCausalLM'], model_type: 'smollm3', num_hidden_layers: 8, ...o });
  it('reads the layers without RoPE from no_rope_layers (0 = none), else every 4th as SmolLM3Config fills it; ties the head by default', () => {
    expect(parseHfConfig(smol3({ no_rope_layers: [1, 1, 1, 0, 1, 0, 1, 1] })).noRopeLayers).toEqual([3, 5]);
    const d = parseHfConfig(smol3({}));
    expect([d.noRopeLayers, d.tiedEmbeddings]).toEqual([[3, 7], true]);
    expect(parseHfConfig(smol3({ no_rope_layer_interval: 2 })).noRopeLayers).toEqual([1, 3, 5, 7]);
  });
  it("windows its layers without RoPE under use_sliding_window, as SmolLM3Config's layer_types do", () => {
    const c = parseHfConfig(smol3({ use_sliding_window: true, sliding_window: 512 }));
    expect([c.slidingWindow, c.slidingWindowLayers]).toEqual([512, [3, 7]]);
  });
  it('refuses a no_rope_layers list that is not one 0 or 1 per layer', () => {
    expect(() => parseHfConfig(smol3({ no_rope_layers: [1, 0] }))).toThrow(/no_rope_layers" is \[1,0\], expected 8 values of 0 or 1/);
    expect(() => parseHfConfig(smol3({ no_rope_layers: [1, 1, 1, 2, 1, 1, 1, 1] }))).toThrow(/expected 8 values of 0 or 1/);
  });
});

describe('config.json of Granite', () => {
  const granite = (o: Record<string, unknown>) => ({
    ...llama({}),
    architectures: ['GraniteForCausalLM'],
    model_type: 'granite',
    embedding_multiplier: 12.0,
    residual_multiplier: 0.22,
    attention_multiplier: 0.015625,
    logits_scaling: 8.0,
    tie_word_embeddings: true,
    ...o,
  });
  it('reads as a LLaMA carrying the four multipliers to fold (1.0 where absent, as GraniteConfig), and exports as LlamaForCausalLM', () => {
    const c = parseHfConfig(granite({}));
    expect(c).toMatchObject({ arch: 'llama', sourceArchitecture: 'GraniteForCausalLM', tiedEmbeddings: true, qkvBias: false, outBias: false, mlpBias: false });
    expect(c.foldedMultipliers).toEqual({ embeddingMultiplier: 12, residualMultiplier: 0.22, attentionMultiplier: 0.015625, logitsScaling: 8 });
    // by model_type alone, with GraniteConfig's defaults
    const bare = { ...granite({}), architectures: undefined, embedding_multiplier: undefined, logits_scaling: null, tie_word_embeddings: undefined };
    const d = parseHfConfig(bare);
    expect([d.sourceArchitecture, d.tiedEmbeddings, d.foldedMultipliers?.embeddingMultiplier, d.foldedMultipliers?.logitsScaling]).toEqual([
      'GraniteForCausalLM',
      false,
      1,
      1,
    ]);
    const exported = toHfLlamaConfig(c);
    expect([exported.architectures, exported.model_type, exported.tie_word_embeddings]).toEqual([['LlamaForCausalLM'], 'llama', true]);
    expect(Object.keys(exported).filter((k) => /multiplier|logits_scaling/.test(k))).toEqual([]);
    expect(parseHfConfig(llama({})).foldedMultipliers).toBeUndefined();
  });
  it('refuses a multiplier that is not a positive finite number, naming the field and what to do', () => {
    for (const [key, bad, shown] of [
      ['residual_multiplier', 0, '0'],
      ['embedding_multiplier', -12, '-12'],
      ['logits_scaling', '8.0', '"8.0"'],
      ['attention_multiplier', true, 'true'],
    ] as const) {
      expect(() => parseHfConfig(granite({ [key]: bad }))).toThrow(FormatError);
      expect(() => parseHfConfig(granite({ [key]: bad }))).toThrow(
        `config.json: field "${key}" is ${shown}, expected a positive number. Fix config.json or use the original from the model repo`,
      );
    }
  });
  it('refuses the mixture-of-experts and hybrid Granites by name', () => {
    for (const [arch, type] of [
      ['GraniteMoeForCausalLM', 'granitemoe'],
      ['GraniteMoeSharedForCausalLM', 'granitemoeshared'],
      ['GraniteMoeHybridForCausalLM', 'granitemoehybrid'],
    ]) {
      const refusal = new RegExp(
        `"${arch}", which this studio does not run \\(Granite with mixture-of-experts.*dense GraniteForCausalLM.*is supported\\).*Supported:`,
      );
      expect(() => parseHfConfig(granite({ architectures: [arch], model_type: type }))).toThrow(refusal);
      expect(() => parseHfConfig(granite({ architectures: undefined, model_type: type }))).toThrow(`"${type}", which this studio does not run (Granite with`);
    }
  });
});
