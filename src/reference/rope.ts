// float64 twin of the rotary position embedding kernel, and the rotary frequencies (with the
// checkpoint's rope_scaling) that the kernel's table, the twin and the ONNX export share.

import type { ModelConfig, RopeScaling } from '../core/model-config';

export type { RopeScaling };

/**
 * theta^(-2i/D) for i < D/2, rescaled as transformers' _compute_linear_scaling_rope_parameters /
 * _compute_llama3_parameters / _compute_longrope_parameters (short factors) / _compute_yarn_parameters
 * do (dynamic NTK: unscaled, up to its original length): llama3 divides the low frequencies
 * (wavelength over original/lowFreqFactor) by factor, keeps the high ones, and blends in between.
 * With a rotary dim R under D (partial rotary), D above is R and the pairs from R/2 to D/2 turn at
 * frequency 0 (the pass-through dims, ModelConfig.rotaryDim).
 */
export function ropeFrequencies(headDim: number, theta: number, scaling?: RopeScaling, rotaryDim = headDim): Float64Array {
  const freqs = new Float64Array(headDim / 2);
  freqs.set(rotaryFrequencies(rotaryDim, theta, scaling));
  return freqs;
}

function rotaryFrequencies(headDim: number, theta: number, scaling?: RopeScaling): Float64Array {
  const half = headDim / 2;
  const inv = Float64Array.from({ length: half }, (_, i) => Math.pow(theta, (-2 * i) / headDim));
  if (!scaling) return inv;
  if (scaling.type === 'linear') return inv.map((f) => f / scaling.factor);
  if (scaling.type === 'factors') return inv.map((f, i) => f / scaling.factors[i]);
  // LongRoPE up to its original maximum (longer runs are refused); its attention factor is in the q/k weights
  if (scaling.type === 'longrope') return inv.map((f, i) => f / scaling.shortFactor[i]);
  if (scaling.type === 'yarn') return yarnFrequencies(inv, headDim, theta, scaling);
  // dynamic NTK up to its original length (longer runs are refused): unscaled
  if (scaling.type === 'dynamic') return inv;
  const { factor, lowFreqFactor: lo, highFreqFactor: hi, originalMaxPositions: old } = scaling;
  const lowWavelen = old / lo;
  const highWavelen = old / hi;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (old / wavelen - lo) / (hi - lo);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/**
 * YaRN (transformers' _compute_yarn_parameters): frequencies that turn fewer than betaSlow times over
 * the original context are divided by factor (interpolated), those that turn more than betaFast
 * times are kept (extrapolated), and a linear ramp over the dimension index blends the two between
 * (the bounds rounded outwards unless truncate is false). Its attention factor is in the q/k weights.
 */
function yarnFrequencies(inv: Float64Array, headDim: number, theta: number, s: Extract<RopeScaling, { type: 'yarn' }>): Float64Array {
  // the dimension index at which a frequency turns `rotations` times over the original context
  const dimFor = (rotations: number) => (headDim * Math.log(s.originalMaxPositions / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
  let low = dimFor(s.betaFast);
  let high = dimFor(s.betaSlow);
  if (s.truncate) [low, high] = [Math.floor(low), Math.ceil(high)];
  low = Math.max(low, 0);
  high = Math.min(high, headDim - 1);
  if (low === high) high += 0.001;
  return inv.map((f, i) => {
    const kept = 1 - Math.min(1, Math.max(0, (i - low) / (high - low)));
    return (f / s.factor) * (1 - kept) + f * kept;
  });
}

/**
 * The positions up to which the studio's RoPE is the model's: LongRoPE's short factors and dynamic
 * NTK's unscaled frequencies hold up to their original length; every other kind at any length.
 */
export function ropeExactPositions(cfg: ModelConfig): number {
  const s = cfg.ropeScaling;
  return s?.type === 'longrope' || s?.type === 'dynamic' ? s.originalMaxPositions : Infinity;
}

/**
 * RoPE options of a layer: SmolLM3's NoPE layers rotate by angle 0 (every frequency divided by
 * Infinity: cos 1, sin 0, so x·1 − y·0 = x exactly), which keeps the fused RoPE dispatches (and the
 * head splits they write) the same for every layer.
 */
export function layerRopeScaling(cfg: ModelConfig, layer: number): RopeScaling | undefined {
  if (cfg.noRopeLayers?.includes(layer)) return { type: 'factors', factors: new Array<number>(cfg.headDim / 2).fill(Infinity) };
  return cfg.ropeScaling;
}

/** A layer's RoPE options but for the heads and the sequence length (the engine's and the oracle's). */
export function layerRope(cfg: ModelConfig, layer: number): Pick<RopeOptions, 'headDim' | 'theta' | 'scaling' | 'style' | 'rotaryDim'> {
  return { headDim: cfg.headDim, theta: cfg.ropeTheta, scaling: layerRopeScaling(cfg, layer), style: cfg.ropeStyle, rotaryDim: cfg.rotaryDim };
}

export interface RopeOptions {
  heads: number;
  headDim: number;
  /** Tokens are batch*seqLen; token t sits at position (t % seqLen) + positionOffset. */
  seqLen: number;
  theta: number;
  scaling?: RopeScaling;
  /** Partial rotary (ModelConfig.rotaryDim): the pairs past rotaryDim/2 turn at frequency 0. */
  rotaryDim?: number;
  /** 'interleaved' rotates pairs (2i, 2i+1) (Meta, llama2.c, GGUF); 'half' rotates (i, i + D/2) (HF). */
  style: 'interleaved' | 'half';
  /** Rotate by -angle: the backward pass (and the exact inverse) of the forward rotation. */
  inverse?: boolean;
  positionOffset?: number;
}

/** x is [T, heads*headDim]; pair i of every head turns by position * ropeFrequencies(...)[i]. */
export function ropeRef(x: ArrayLike<number>, o: RopeOptions): Float64Array {
  const D = o.headDim;
  const width = o.heads * D;
  const T = x.length / width;
  const half = D / 2;
  const y = new Float64Array(x.length);
  const freqs = ropeFrequencies(D, o.theta, o.scaling, o.rotaryDim);
  for (let t = 0; t < T; t++) {
    const pos = (t % o.seqLen) + (o.positionOffset ?? 0);
    for (let i = 0; i < half; i++) {
      const angle = pos * freqs[i];
      const c = Math.cos(angle);
      const s = o.inverse ? -Math.sin(angle) : Math.sin(angle);
      for (let h = 0; h < o.heads; h++) {
        const base = t * width + h * D;
        const a = base + (o.style === 'interleaved' ? 2 * i : i);
        const b = base + (o.style === 'interleaved' ? 2 * i + 1 : i + half);
        y[a] = x[a] * c - x[b] * s;
        y[b] = x[a] * s + x[b] * c;
      }
    }
  }
  return y;
}
