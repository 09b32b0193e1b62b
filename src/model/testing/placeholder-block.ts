// A block's weights as uninitialised tensors of a real model's shapes: for counting and timing what
// the engine encodes on a fake device (src/gpu/testing/fake-device.ts), where contents never matter.
import type { Gpu } from '../../gpu/gpu';
import type { ModelConfig } from '../../core/model-config';
import { expectedShapes } from '../../formats/hf-config';
import { linearName, linearRoles, normNames } from '../../core/tensor-names';
import type { BlockWeights } from '../block-weights';

export function placeholderBlock(gpu: Gpu, cfg: ModelConfig, index = 0): BlockWeights {
  const shapes = expectedShapes(cfg);
  const t = (name: string) => gpu.tensor(shapes.get(name)!, 'f32', name);
  const linears: BlockWeights['linears'] = {};
  for (const role of linearRoles(cfg.arch)) linears[role] = { weight: t(`${linearName(cfg.arch, index, role)}.weight`) };
  const n = normNames(cfg.arch, index);
  return { index, linears, attnNorm: { weight: t(`${n.attn}.weight`) }, mlpNorm: { weight: t(`${n.mlp}.weight`) } };
}
