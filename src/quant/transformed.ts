// Reads a transformed block (scales folded, weights clipped) back into full-precision overrides
// keyed by HF tensor name, so evaluation, export and later phases see the transformed model.
import type { ModelConfig } from '../core/model-config';
import type { Tensor } from '../gpu/tensor';
import type { BlockWeights } from '../model/block-weights';
import { linearName, normNames, type LinearRole } from '../core/tensor-names';

export async function readBlockOverrides(cfg: ModelConfig, w: BlockWeights, into: Map<string, Float32Array>): Promise<void> {
  const tensors: [string, Tensor | undefined][] = [];
  for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
    const n = linearName(cfg.arch, w.index, role);
    tensors.push([`${n}.weight`, l.weight], [`${n}.bias`, l.bias]);
  }
  const norms = normNames(cfg.arch, w.index);
  tensors.push([`${norms.attn}.weight`, w.attnNorm.weight], [`${norms.mlp}.weight`, w.mlpNorm.weight]);
  tensors.push([`${norms.attn}.bias`, w.attnNorm.bias], [`${norms.mlp}.bias`, w.mlpNorm.bias]);
  const present = tensors.filter((e): e is [string, Tensor] => e[1] !== undefined);
  // Every copy is queued before the first wait: one round trip to the GPU per block, not one per tensor.
  const values = await Promise.all(present.map(([, t]) => t.readF32()));
  present.forEach(([name], i) => into.set(name, values[i]));
}
