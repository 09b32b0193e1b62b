// What every loader does to a checkpoint's tensors before the engine sees them: Phi-3's fused Linears
// split into their parts, Granite's multipliers and a RoPE attention factor (LongRoPE, YaRN) folded
// into the weights, partial rotary's row order. Each step leaves the tensors as they are where it does
// not apply, and each reads lazily: nothing is read until the weight source asks.
import type { ModelConfig } from '../core/model-config';
import { splitFusedLinears } from './fused-linears';
import { foldGraniteMultipliers } from './granite-multipliers';
import { toRotaryLayout } from './partial-rotary';
import { foldRopeAttentionFactor } from './rope-attention-factor';
import type { TensorEntry } from './weight-source';

export function engineTensors(cfg: ModelConfig, tensors: Map<string, TensorEntry>): Map<string, TensorEntry> {
  return toRotaryLayout(cfg, foldRopeAttentionFactor(cfg, foldGraniteMultipliers(cfg, splitFusedLinears(cfg, tensors))));
}
