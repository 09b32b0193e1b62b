// Round-to-nearest: every Linear of a block quantized with min/max per group, nothing learned.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../core/model-config';
import type { BlockWeights } from '../model/block-weights';
import { linearName, type LinearRole } from '../core/tensor-names';
import { quantizeWeight, type GpuQuantized } from '../ops/quantize';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { readQuantized } from './quantized-model';

export async function quantizeBlockRtn(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, spec: QuantSpec): Promise<QuantizedLinear[]> {
  const roles = Object.keys(w.linears) as LinearRole[];
  const quantized = roles.map((role) => quantizeWeight(gpu, w.linears[role]!.weight, spec, { codes: true }) as GpuQuantized);
  // Every read queued before the first wait: one round trip per block.
  return Promise.all(quantized.map((q, i) => readQuantized(gpu, linearName(cfg.arch, w.index, roles[i]), spec, q)));
}
