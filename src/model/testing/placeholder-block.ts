// A block's weights as uninitialised tensors of a real model's shapes: for counting and timing what
// the engine encodes on a fake device (src/gpu/testing/fake-device.ts), where contents never matter;
// and a training step through one such block.
import type { Gpu } from '../../gpu/gpu';
import type { ModelConfig } from '../../core/model-config';
import { expectedShapes } from '../../formats/hf-config';
import { headNormNames, linearName, linearRoles, normNames } from '../../core/tensor-names';
import { sideBySideTensors, SIDE_BY_SIDE_ROLES, type BlockWeights } from '../block-weights';
import { blockBackward, blockForward, releaseActivations, type BatchShape } from '../block';

/** With `sideBySide`, the weights of SIDE_BY_SIDE_ROLES in one buffer (as TEQ's trainer keeps its effective weights) where they can be. */
export function placeholderBlock(gpu: Gpu, cfg: ModelConfig, index = 0, sideBySide = false): BlockWeights {
  const shapes = expectedShapes(cfg);
  const t = (name: string) => gpu.tensor(shapes.get(name)!, 'f32', name);
  const linears: BlockWeights['linears'] = {};
  for (const role of linearRoles(cfg.arch)) linears[role] = { weight: t(`${linearName(cfg.arch, index, role)}.weight`) };
  for (const roles of sideBySide ? SIDE_BY_SIDE_ROLES : []) {
    const ws = roles.map((r) => linears[r]?.weight);
    if (ws.some((w) => !w)) continue;
    const parts = sideBySideTensors(
      gpu,
      ws.map((w) => w!.shape),
      ws.map((w) => w!.name),
    );
    if (!parts) continue;
    ws.forEach((w) => w!.release());
    roles.forEach((r, i) => (linears[r] = { weight: parts[i] }));
  }
  const n = normNames(cfg.arch, index);
  const w: BlockWeights = { index, linears, attnNorm: { weight: t(`${n.attn}.weight`) }, mlpNorm: { weight: t(`${n.mlp}.weight`) } };
  if (cfg.qkNorm) {
    const h = headNormNames(index);
    w.headNorms = { q: { weight: t(`${h.q}.weight`) }, k: { weight: t(`${h.k}.weight`) } };
  }
  return w;
}

/** One forward (activations kept) and backward of block `w` on uninitialised input and output gradient, every tensor released after. */
export function placeholderStep(gpu: Gpu, cfg: ModelConfig, w: BlockWeights, shape: BatchShape): void {
  const x = gpu.tensor([shape.batch * shape.seqLen, cfg.hidden]);
  const { y, acts } = blockForward(gpu, cfg, w, x, shape, true);
  const dy = gpu.tensor(y.shape);
  const g = blockBackward(gpu, cfg, w, acts!, dy, shape);
  releaseActivations(acts!, true);
  for (const t of [y, dy, g.dx, ...Object.values(g.dW)]) t!.release();
}
