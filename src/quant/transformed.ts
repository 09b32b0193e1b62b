// Reads a transformed block (scales folded, weights clipped) back into full-precision overrides
// keyed by HF tensor name, so evaluation, export and later phases see the transformed model.
import type { ModelConfig } from '../core/model-config';
import type { BlockWeights } from '../model/block-weights';
import { linearName, normNames, type LinearRole } from '../core/tensor-names';

export async function readBlockOverrides(cfg: ModelConfig, w: BlockWeights, into: Map<string, Float32Array>): Promise<void> {
  for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
    const n = linearName(cfg.arch, w.index, role);
    into.set(`${n}.weight`, await l.weight.readF32());
    if (l.bias) into.set(`${n}.bias`, await l.bias.readF32());
  }
  const norms = normNames(cfg.arch, w.index);
  into.set(`${norms.attn}.weight`, await w.attnNorm.weight.readF32());
  into.set(`${norms.mlp}.weight`, await w.mlpNorm.weight.readF32());
  if (w.attnNorm.bias) into.set(`${norms.attn}.bias`, await w.attnNorm.bias.readF32());
  if (w.mlpNorm.bias) into.set(`${norms.mlp}.bias`, await w.mlpNorm.bias.readF32());
}
