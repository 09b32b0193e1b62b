// Per-layer and per-block output error of a quantized model on calibration inputs.
// Inputs come from the quantized chain (each block sees what the quantized model feeds it).
//   layer:  ||X Wᵀ - X Ŵᵀ||² / ||X Wᵀ||², X the Linear's input in the transformed fp block,
//           W its transformed fp weight, Ŵ the weight dequantized from the stored codes;
//   block:  ||B(x) - B̂(x)||² / ||B(x)||², B the transformed fp block, B̂ the quantized one.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import type { BlockProvider } from '../model/gpu-model';
import { blockForward, linear, releaseActivations, type BatchShape } from '../model/block';
import { linearName, type LinearRole } from '../core/tensor-names';
import { sub } from '../ops/elementwise';
import { sumSquares } from '../ops/reduce';
import type { LayerError } from '../core/run-types';
import { withF32 } from '../ops/precision';

function relativeError(gpu: Gpu, ref: Tensor, got: Tensor, into: Tensor, slot: number): void {
  const d = sub(gpu, ref, got);
  const num = sumSquares(gpu, d);
  const den = sumSquares(gpu, ref);
  gpu.copy(num, into, 0, 2 * slot, 1);
  gpu.copy(den, into, 0, 2 * slot + 1, 1);
  [d, num, den].forEach((t) => t.release());
}

/** Every layer's and block's error, every product f32 under the precision policy (ops/precision.ts withF32): a measurement. */
export function measureErrors(
  gpu: Gpu,
  cfg: ModelConfig,
  fp: BlockProvider,
  quant: BlockProvider,
  x0: Tensor,
  shape: BatchShape,
  onBlock?: (block: number) => void,
): Promise<{ layerErrors: LayerError[]; blockErrors: { block: number; relMse: number }[] }> {
  return withF32(gpu, () => measureBlocks(gpu, cfg, fp, quant, x0, shape, onBlock));
}

async function measureBlocks(
  gpu: Gpu,
  cfg: ModelConfig,
  fp: BlockProvider,
  quant: BlockProvider,
  x0: Tensor,
  shape: BatchShape,
  onBlock?: (block: number) => void,
): Promise<{ layerErrors: LayerError[]; blockErrors: { block: number; relMse: number }[] }> {
  const layerErrors: LayerError[] = [];
  const blockErrors: { block: number; relMse: number }[] = [];
  let x = x0;
  for (let b = 0; b < cfg.layers; b++) {
    const wf = await fp.get(b);
    const wq = await quant.get(b);
    const { y: yf, acts } = blockForward(gpu, cfg, wf, x, shape, true);
    const roles = Object.keys(wf.linears) as LinearRole[];
    const sums = gpu.tensor([2 * (roles.length + 1)], 'f32', 'error-sums');
    roles.forEach((role, i) => {
      const input = acts!.inputs[role]!;
      const ref = linear(gpu, input, { weight: wf.linears[role]!.weight });
      const got = linear(gpu, input, { weight: wq.linears[role]!.weight });
      relativeError(gpu, ref, got, sums, i);
      ref.release();
      got.release();
    });
    releaseActivations(acts!);
    const { y: yq } = blockForward(gpu, cfg, wq, x, shape);
    relativeError(gpu, yf, yq, sums, roles.length);
    yf.release();
    const v = await sums.readF32();
    sums.release();
    roles.forEach((role, i) => layerErrors.push({ block: b, layer: linearName(cfg.arch, b, role), relMse: v[2 * i] / Math.max(v[2 * i + 1], 1e-30) }));
    blockErrors.push({ block: b, relMse: v[2 * roles.length] / Math.max(v[2 * roles.length + 1], 1e-30) });
    if (x !== x0) x.release();
    x = yq;
    fp.done(b);
    quant.done(b);
    onBlock?.(b);
  }
  if (x !== x0) x.release();
  return { layerErrors, blockErrors };
}
