// Round-to-nearest: every Linear of a block quantized with min/max per group, nothing learned.
import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../core/model-config';
import type { BlockWeights } from '../model/block-weights';
import { linearName, type LinearRole } from '../core/tensor-names';
import { quantizeWeight, type GpuQuantized } from '../ops/quantize';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';
import { readQuantized } from './quantized-model';

export async function quantizeBlockRtn(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, spec: QuantSpec): Promise<QuantizedLinear[]> {
  const out: QuantizedLinear[] = [];
  for (const [role, l] of Object.entries(w.linears) as [LinearRole, { weight: import('../gpu/tensor').Tensor }][]) {
    const q = quantizeWeight(gpu, l.weight, spec, { codes: true }) as GpuQuantized;
    out.push(await readQuantized(linearName(cfg.arch, w.index, role), spec, q));
    q.codes.release();
    q.scales.release();
    q.zeros.release();
  }
  return out;
}
