// A transformer block's weights on the GPU. Quantization methods swap a Linear's weight tensor for
// its dequantized (or scaled) version; the forward pass does not care where a weight came from.
import type { Gpu } from '../gpu/gpu';
import { rowsSplittable, spanRows, type Tensor } from '../gpu/tensor';
import type { WeightSource } from '../core/model-config';
import { headNormNames, linearHasBias, linearName, linearRoles, normNames, type LinearRole } from '../core/tensor-names';

export interface LinearWeights {
  /** [out, in] */
  weight: Tensor;
  bias?: Tensor;
}

export interface NormWeights {
  weight: Tensor;
  bias?: Tensor;
}

export interface BlockWeights {
  index: number;
  linears: Partial<Record<LinearRole, LinearWeights>>;
  attnNorm: NormWeights;
  mlpNorm: NormWeights;
  /** Qwen3 (ModelConfig.qkNorm): the RMSNorm weights of each head of q and of k, [headDim]. */
  headNorms?: { q: NormWeights; k: NormWeights };
}

export function linearOf(b: BlockWeights, role: LinearRole): LinearWeights {
  const l = b.linears[role];
  if (!l) throw new Error(`block ${b.index} has no ${role} projection`);
  return l;
}

/**
 * Linears that read the same input and whose products the block runs as one where their weights lie
 * side by side in one buffer (Tensor.splitRows, as TEQ's trainer keeps its effective weights): the
 * product of the stacked weights gives their outputs side by side in each row.
 */
export const SIDE_BY_SIDE_ROLES: readonly (readonly LinearRole[])[] = [
  ['gate', 'up'],
  ['q', 'k', 'v'],
];

/** The stacked weight of `roles` where they lie side by side without biases (spanRows), else null. */
export function sideBySideWeight(b: BlockWeights, roles: readonly LinearRole[]): Tensor | null {
  // q and k normalised per head (Qwen3) take the products one by one
  if (b.headNorms && roles.includes('q')) return null;
  const ls = roles.map((r) => b.linears[r]);
  if (ls.some((l) => !l || l.bias)) return null;
  return spanRows(
    ls.map((l) => l!.weight),
    roles.join('+'),
  );
}

/**
 * New f32 tensors of `shapes` ([rows, cols] each, the same cols) side by side in one buffer
 * (Tensor.splitRows: they own it together), or null where the columns differ or a range would not
 * start at the device's storage-binding alignment.
 */
export function sideBySideTensors(gpu: Gpu, shapes: readonly (readonly number[])[], names: readonly string[]): Tensor[] | null {
  const cols = shapes[0]?.[1];
  if (shapes.some((sh) => sh.length !== 2 || sh[1] !== cols)) return null;
  const rows = shapes.map((sh) => sh[0]);
  const stacked = [rows.reduce((a, r) => a + r, 0), cols];
  if (!rowsSplittable(gpu, stacked, 'f32', rows)) return null;
  return gpu.tensor(stacked, 'f32', names.join('+')).splitRows(rows, names);
}

async function upload(gpu: Gpu, src: WeightSource, name: string): Promise<Tensor> {
  const shape = src.shapes.get(name);
  if (!shape) throw new Error(`missing tensor ${name}`);
  return gpu.upload(await src.get(name), shape, name);
}

export async function loadBlockWeights(gpu: Gpu, src: WeightSource, layer: number): Promise<BlockWeights> {
  const cfg = src.config;
  const linears: BlockWeights['linears'] = {};
  for (const role of linearRoles(cfg.arch)) {
    const n = linearName(cfg.arch, layer, role);
    linears[role] = {
      weight: await upload(gpu, src, `${n}.weight`),
      bias: linearHasBias(cfg, role) ? await upload(gpu, src, `${n}.bias`) : undefined,
    };
  }
  const norms = normNames(cfg.arch, layer);
  const norm = async (p: string): Promise<NormWeights> => ({
    weight: await upload(gpu, src, `${p}.weight`),
    bias: cfg.arch === 'opt' ? await upload(gpu, src, `${p}.bias`) : undefined,
  });
  const w: BlockWeights = { index: layer, linears, attnNorm: await norm(norms.attn), mlpNorm: await norm(norms.mlp) };
  if (cfg.qkNorm) {
    const h = headNormNames(layer);
    w.headNorms = { q: { weight: await upload(gpu, src, `${h.q}.weight`) }, k: { weight: await upload(gpu, src, `${h.k}.weight`) } };
  }
  return w;
}

export function releaseBlockWeights(b: BlockWeights): void {
  for (const l of Object.values(b.linears)) {
    l?.weight.release();
    l?.bias?.release();
  }
  for (const n of [b.attnNorm, b.mlpNorm, ...(b.headNorms ? [b.headNorms.q, b.headNorms.k] : [])]) {
    n.weight.release();
    n.bias?.release();
  }
}
