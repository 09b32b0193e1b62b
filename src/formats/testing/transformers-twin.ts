// A float64 forward of LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM / Phi3ForCausalLM / GraniteForCausalLM / OPTForCausalLM
// written from transformers' modeling code and read straight from config.json, independent of the
// studio's config parser and oracle: rope_parameters or rope_theta + rope_scaling (default, linear,
// llama3, longrope, yarn, dynamic inv_freq as modeling_rope_utils computes it; their attention factor on cos and sin), head_dim, GQA, q/k/v (and o, MLP) biases,
// Qwen3's q_norm / k_norm (RMSNorm over each head before RoPE), Phi-3's fused qkv_proj and gate_up_proj
// and partial rotary (Phi-4-mini),
// SmolLM3's layers without RoPE, Granite's four multipliers (applied where modeling_granite applies them),
// Mistral's sliding-window mask (Qwen2/3's and SmolLM3's on their windowed layers), OPT's offset-2 positions, project_in/out and post-norm. Tests
// compare the studio's loaded model and oracle against it.
type Json = Record<string, unknown>;
type W = (name: string) => Float32Array;

function linear(x: Float64Array, T: number, w: Float32Array, inp: number, out: number, b?: Float32Array): Float64Array {
  const y = new Float64Array(T * out);
  for (let t = 0; t < T; t++)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inp; i++) s += x[t * inp + i] * w[o * inp + i];
      y[t * out + o] = s;
    }
  return y;
}

function rmsNorm(x: Float64Array, T: number, H: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let i = 0; i < H; i++) ss += x[t * H + i] ** 2;
    const r = 1 / Math.sqrt(ss / H + eps);
    for (let i = 0; i < H; i++) y[t * H + i] = x[t * H + i] * r * w[i];
  }
  return y;
}

function layerNorm(x: Float64Array, T: number, H: number, w: Float32Array, b: Float32Array): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < T; t++) {
    let m = 0,
      v = 0;
    for (let i = 0; i < H; i++) m += x[t * H + i] / H;
    for (let i = 0; i < H; i++) v += (x[t * H + i] - m) ** 2 / H;
    for (let i = 0; i < H; i++) y[t * H + i] = ((x[t * H + i] - m) / Math.sqrt(v + 1e-5)) * w[i] + b[i];
  }
  return y;
}

const ropeDict = (c: Json) => (c.rope_parameters ?? { ...((c.rope_scaling as Json | null) ?? {}), rope_theta: c.rope_theta ?? 10000 }) as Json;

/**
 * _compute_longrope_parameters: original_max_position_embeddings from the dict (transformers 5) or the
 * config (4.x; Phi3Config's default 4096); attention_factor as given, else from max / original.
 */
function longRope(c: Json, p: Json): { original: number; attentionFactor: number } {
  const original = (p.original_max_position_embeddings ?? c.original_max_position_embeddings ?? 4096) as number;
  const factor = (p.factor as number | undefined) ?? (c.max_position_embeddings as number) / original;
  const given = p.attention_factor as number | undefined;
  return { original, attentionFactor: given ?? (factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original))) };
}

/**
 * _compute_yarn_parameters (transformers 4.5x / 5): original_max_position_embeddings from the dict or
 * max_position_embeddings; factor, else max / original; attention_factor, else from mscale.
 */
function yarn(c: Json, p: Json): { original: number; factor: number; attentionFactor: number } {
  const original = (p.original_max_position_embeddings ?? c.max_position_embeddings) as number;
  const factor = (p.factor as number | undefined) ?? (c.max_position_embeddings as number) / original;
  const getMscale = (scale: number, mscale = 1) => (scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0);
  let attentionFactor = p.attention_factor as number | undefined | null;
  if (attentionFactor === undefined || attentionFactor === null)
    attentionFactor = p.mscale && p.mscale_all_dim ? getMscale(factor, p.mscale as number) / getMscale(factor, p.mscale_all_dim as number) : getMscale(factor);
  return { original, factor, attentionFactor };
}

/** The attention_scaling that the rotary embedding multiplies cos and sin by (1 but for longrope and yarn). */
export function ropeAttentionScaling(c: Json): number {
  const p = ropeDict(c);
  const type = p.rope_type ?? p.type;
  if (type === 'yarn') return yarn(c, p).attentionFactor;
  return type === 'longrope' || type === 'su' ? longRope(c, p).attentionFactor : 1;
}

/** inv_freq as modeling_rope_utils: default, linear, llama3; longrope's short or long factors by seqLen. */
export function invFreq(c: Json, headDim: number, seqLen = 1): Float64Array {
  const p = ropeDict(c);
  const base = p.rope_theta as number;
  const type = (p.rope_type ?? p.type ?? 'default') as string;
  const inv = Float64Array.from({ length: headDim / 2 }, (_, i) => 1 / base ** ((2 * i) / headDim));
  if (type === 'default') return inv;
  if (type === 'longrope' || type === 'su') {
    // inv_freq = 1 / (ext_factors * base^(2i/d)); long_factor once seq_len passes the original length
    const ext = (seqLen > longRope(c, p).original ? p.long_factor : p.short_factor) as number[];
    return inv.map((f, i) => f / ext[i]);
  }
  if (type === 'yarn') {
    const { original, factor } = yarn(c, p);
    const dim = headDim;
    const betaFast = (p.beta_fast as number) || 32;
    const betaSlow = (p.beta_slow as number) || 1;
    const findCorrectionDim = (numRotations: number) => (dim * Math.log(original / (numRotations * 2 * Math.PI))) / (2 * Math.log(base));
    let low = findCorrectionDim(betaFast);
    let high = findCorrectionDim(betaSlow);
    if (p.truncate ?? true) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
    low = Math.max(low, 0);
    high = Math.min(high, dim - 1);
    if (low === high) high += 0.001;
    // inv_freq_extrapolation_factor = 1 - linear_ramp_factor(low, high, dim // 2)
    return inv.map((extrapolation, i) => {
      const interpolation = extrapolation / factor;
      const extrapolationFactor = 1 - Math.min(Math.max((i - low) / (high - low), 0), 1);
      return interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
    });
  }
  const factor = p.factor as number;
  if (type === 'dynamic') {
    // _compute_dynamic_ntk_parameters with seq_len = max(seqLen, max_position_embeddings)
    const max = c.max_position_embeddings as number;
    const seq = Math.max(seqLen, max);
    const scaledBase = base * ((factor * seq) / max - (factor - 1)) ** (headDim / (headDim - 2));
    return inv.map((_, i) => 1 / scaledBase ** ((2 * i) / headDim));
  }
  if (type === 'linear') return inv.map((f) => f / factor);
  if (type !== 'llama3') throw new Error(`twin: rope type ${type}`);
  const old = p.original_max_position_embeddings as number;
  const lowWl = old / (p.low_freq_factor as number),
    highWl = old / (p.high_freq_factor as number);
  return inv.map((f) => {
    const wl = (2 * Math.PI) / f;
    const scaled = wl > lowWl ? f / factor : f;
    const smooth = (old / wl - (p.low_freq_factor as number)) / ((p.high_freq_factor as number) - (p.low_freq_factor as number));
    const medium = !(wl < highWl) && !(wl > lowWl);
    return medium ? ((1 - smooth) * scaled) / factor + smooth * scaled : scaled;
  });
}

/** Causal attention over [T, heads*D] q and [T, kv*D] k/v; keys within `window` of the query when set. */
function attention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  T: number,
  heads: number,
  kv: number,
  D: number,
  scale: number,
  window?: number,
): Float64Array {
  const out = new Float64Array(T * heads * D);
  for (let h = 0; h < heads; h++) {
    const g = Math.floor(h / (heads / kv));
    for (let i = 0; i < T; i++) {
      const s: number[] = [];
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        if (window !== undefined && i - j >= window) {
          s.push(-Infinity);
          continue;
        }
        let d = 0;
        for (let e = 0; e < D; e++) d += q[i * heads * D + h * D + e] * k[j * kv * D + g * D + e];
        s.push(d * scale);
        max = Math.max(max, d * scale);
      }
      const p = s.map((x) => Math.exp(x - max));
      const z = p.reduce((a, b) => a + b, 0);
      for (let j = 0; j <= i; j++) for (let e = 0; e < D; e++) out[i * heads * D + h * D + e] += (p[j] / z) * v[j * kv * D + g * D + e];
    }
  }
  return out;
}

/**
 * The nn.Linear biases transformers 5.17's modeling code creates: Qwen2Attention's q/k/v always;
 * LlamaAttention's (and Granite's, Qwen3's, SmolLM3's) q/k/v/o with attention_bias; LlamaMLP
 * (Granite's, SmolLM3's) with mlp_bias; Mistral's, Qwen2's, Qwen3's (GemmaMLP) and Phi-3's MLPs and
 * Mistral's attention never.
 */
export function transformersBiases(c: Json): { qkv: boolean; o: boolean; mlp: boolean } {
  const arch = (c.architectures as string[])[0];
  const llamaAttention = ['LlamaForCausalLM', 'GraniteForCausalLM', 'Qwen3ForCausalLM', 'SmolLM3ForCausalLM'].includes(arch);
  const llamaMlp = ['LlamaForCausalLM', 'GraniteForCausalLM', 'SmolLM3ForCausalLM'].includes(arch);
  return {
    qkv: arch === 'Qwen2ForCausalLM' || (llamaAttention && c.attention_bias === true),
    o: llamaAttention && c.attention_bias === true,
    mlp: llamaMlp && c.mlp_bias === true,
  };
}

function llama(c: Json, w: W, ids: number[]): Float64Array {
  const T = ids.length,
    H = c.hidden_size as number,
    heads = c.num_attention_heads as number,
    kv = (c.num_key_value_heads as number) ?? heads,
    I = c.intermediate_size as number,
    V = c.vocab_size as number,
    eps = (c.rms_norm_eps as number) ?? 1e-6;
  const arch = (c.architectures as string[])[0];
  // Qwen3Config's head_dim defaults to 128
  const D = (c.head_dim as number | null) ?? (arch === 'Qwen3ForCausalLM' ? 128 : H / heads);
  const { qkv: qkvB, o: oB, mlp: mb } = transformersBiases(c);
  // MistralAttention / Phi3Attention: config.sliding_window on every layer. Qwen2/Qwen3/SmolLM3Config
  // with use_sliding_window: on layer_types' "sliding_attention" layers, by default Qwen's from
  // max_window_layers on and SmolLM3's layers without RoPE
  const windowOf = (l: number): number | undefined => {
    if (typeof c.sliding_window !== 'number') return undefined;
    if (arch === 'MistralForCausalLM' || arch === 'Phi3ForCausalLM') return c.sliding_window;
    if (c.use_sliding_window !== true) return undefined;
    const types = c.layer_types as string[] | undefined;
    const noRope = c.no_rope_layers as number[] | undefined;
    const sliding = types
      ? types[l] === 'sliding_attention'
      : arch === 'SmolLM3ForCausalLM'
        ? noRope
          ? noRope[l] === 0
          : (l + 1) % 4 === 0
        : l >= ((c.max_window_layers as number | undefined) ?? 28);
    return sliding ? c.sliding_window : undefined;
  };
  // rotary dims: int(head_dim * partial_rotary_factor) (rope_parameters in 5.x, the top level in 4.x);
  // Phi3's apply_rotary_pos_emb turns q[..., :R] and passes q[..., R:] through
  const partial = (ropeDict(c).partial_rotary_factor ?? c.partial_rotary_factor ?? 1) as number;
  const R = Math.trunc(D * partial);
  const inv = invFreq(c, R, T);
  // the rotary embedding's cos and sin, times attention_scaling (LongRoPE's attention factor)
  const cosSinScale = ropeAttentionScaling(c);
  // GraniteModel: inputs_embeds * embedding_multiplier; GraniteDecoderLayer: residual + out * residual_multiplier;
  // GraniteAttention: scaling = attention_multiplier; GraniteForCausalLM: logits / logits_scaling (GraniteConfig: 1.0 each)
  const granite = arch === 'GraniteForCausalLM';
  const multiplier = (key: string) => (c[key] as number | undefined) ?? 1;
  const embedScale = granite ? multiplier('embedding_multiplier') : 1;
  const residualScale = granite ? multiplier('residual_multiplier') : 1;
  const scoreScale = granite ? multiplier('attention_multiplier') : D ** -0.5;
  const emb = w('model.embed_tokens.weight');
  let x: Float64Array = new Float64Array(T * H);
  for (let t = 0; t < T; t++) for (let i = 0; i < H; i++) x[t * H + i] = emb[ids[t] * H + i] * embedScale;
  const rope = (y: Float64Array, n: number) => {
    for (let t = 0; t < T; t++)
      for (let h = 0; h < n; h++)
        for (let i = 0; i < R / 2; i++) {
          const a = t * inv[i],
            o = t * n * D + h * D;
          const cos = Math.cos(a) * cosSinScale,
            sin = Math.sin(a) * cosSinScale;
          const x1 = y[o + i],
            x2 = y[o + i + R / 2];
          y[o + i] = x1 * cos - x2 * sin;
          y[o + i + R / 2] = x2 * cos + x1 * sin;
        }
  };
  // Phi3Attention / Phi3MLP: one qkv_proj (q's, k's, v's rows) and one gate_up_proj (gate's, then up's)
  const phi3 = arch === 'Phi3ForCausalLM';
  const rows = (t: Float32Array, from: number, count: number, cols: number) => t.subarray(from * cols, (from + count) * cols);
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const p = `model.layers.${l}`;
    const b = (n: string, on: boolean) => (on ? w(`${p}.${n}.bias`) : undefined);
    const h = rmsNorm(x, T, H, w(`${p}.input_layernorm.weight`), eps);
    const qkvW = phi3 ? w(`${p}.self_attn.qkv_proj.weight`) : null;
    const W = (n: 'q' | 'k' | 'v') =>
      qkvW ? rows(qkvW, { q: 0, k: heads * D, v: (heads + kv) * D }[n], n === 'q' ? heads * D : kv * D, H) : w(`${p}.self_attn.${n}_proj.weight`);
    const q = linear(h, T, W('q'), H, heads * D, b('self_attn.q_proj', qkvB));
    const k = linear(h, T, W('k'), H, kv * D, b('self_attn.k_proj', qkvB));
    const v = linear(h, T, W('v'), H, kv * D, b('self_attn.v_proj', qkvB));
    if (arch === 'Qwen3ForCausalLM') {
      // Qwen3Attention: q_norm / k_norm over head_dim, then RoPE
      q.set(rmsNorm(q, T * heads, D, w(`${p}.self_attn.q_norm.weight`), eps));
      k.set(rmsNorm(k, T * kv, D, w(`${p}.self_attn.k_norm.weight`), eps));
    }
    // SmolLM3Attention: use_rope = config.no_rope_layers[layer_idx] (absent: every 4th layer without)
    const noRope = c.no_rope_layers as number[] | undefined;
    const useRope = arch !== 'SmolLM3ForCausalLM' || (noRope ? noRope[l] === 1 : (l + 1) % 4 !== 0);
    if (useRope) {
      rope(q, heads);
      rope(k, kv);
    }
    const a = attention(q, k, v, T, heads, kv, D, scoreScale, windowOf(l));
    const o = linear(a, T, w(`${p}.self_attn.o_proj.weight`), heads * D, H, b('self_attn.o_proj', oB));
    x = x.map((v, i) => v + o[i] * residualScale);
    const h2 = rmsNorm(x, T, H, w(`${p}.post_attention_layernorm.weight`), eps);
    const gateUp = phi3 ? w(`${p}.mlp.gate_up_proj.weight`) : null;
    const g = linear(h2, T, gateUp ? rows(gateUp, 0, I, H) : w(`${p}.mlp.gate_proj.weight`), H, I, b('mlp.gate_proj', mb));
    const u = linear(h2, T, gateUp ? rows(gateUp, I, I, H) : w(`${p}.mlp.up_proj.weight`), H, I, b('mlp.up_proj', mb));
    const act = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]);
    const d = linear(act, T, w(`${p}.mlp.down_proj.weight`), I, H, b('mlp.down_proj', mb));
    x = x.map((v, i) => v + d[i] * residualScale);
  }
  const n = rmsNorm(x, T, H, w('model.norm.weight'), eps);
  const logits = linear(n, T, c.tie_word_embeddings === true ? emb : w('lm_head.weight'), H, V);
  return granite ? logits.map((v) => v / multiplier('logits_scaling')) : logits;
}

function opt(c: Json, w: W, ids: number[]): Float64Array {
  const T = ids.length,
    H = c.hidden_size as number,
    heads = c.num_attention_heads as number,
    D = H / heads,
    F = c.ffn_dim as number,
    V = c.vocab_size as number,
    P = (c.word_embed_proj_dim as number) ?? H;
  const pre = c.do_layer_norm_before !== false;
  const emb = w('model.decoder.embed_tokens.weight');
  let e: Float64Array = new Float64Array(T * P);
  for (let t = 0; t < T; t++) for (let i = 0; i < P; i++) e[t * P + i] = emb[ids[t] * P + i];
  if (P !== H) e = linear(e, T, w('model.decoder.project_in.weight'), P, H);
  const pos = w('model.decoder.embed_positions.weight');
  let x: Float64Array = e.map((v, i) => v + pos[(Math.floor(i / H) + 2) * H + (i % H)]);
  const ln = (y: Float64Array, n: string) => layerNorm(y, T, H, w(`${n}.weight`), w(`${n}.bias`));
  for (let l = 0; l < (c.num_hidden_layers as number); l++) {
    const p = `model.decoder.layers.${l}`;
    const L = (y: Float64Array, n: string, i: number, o: number) => linear(y, T, w(`${p}.${n}.weight`), i, o, w(`${p}.${n}.bias`));
    let h: Float64Array = pre ? ln(x, `${p}.self_attn_layer_norm`) : x;
    const q = L(h, 'self_attn.q_proj', H, H).map((v) => v * D ** -0.5);
    const a = attention(q, L(h, 'self_attn.k_proj', H, H), L(h, 'self_attn.v_proj', H, H), T, heads, heads, D, 1);
    const o = L(a, 'self_attn.out_proj', H, H);
    x = x.map((v, i) => v + o[i]);
    if (!pre) x = ln(x, `${p}.self_attn_layer_norm`);
    h = pre ? ln(x, `${p}.final_layer_norm`) : x;
    const f = L(
      L(h, 'fc1', H, F).map((v) => Math.max(0, v)),
      'fc2',
      F,
      H,
    );
    x = x.map((v, i) => v + f[i]);
    if (!pre) x = ln(x, `${p}.final_layer_norm`);
  }
  if (pre && c._remove_final_layer_norm !== true) x = ln(x, 'model.decoder.final_layer_norm');
  if (P !== H) x = linear(x, T, w('model.decoder.project_out.weight'), H, P);
  return linear(x, T, c.tie_word_embeddings === false ? w('lm_head.weight') : emb, P, V);
}

/** Logits [T, vocab] of one sequence, as transformers computes them in float64. */
export function transformersLogits(config: Json, weights: Map<string, Float32Array>, ids: number[]): Float64Array {
  const w: W = (n) => {
    const t = weights.get(n);
    if (!t) throw new Error(`twin: no tensor ${n}`);
    return t;
  };
  return (config.architectures as string[])[0] === 'OPTForCausalLM' ? opt(config, w, ids) : llama(config, w, ids);
}
