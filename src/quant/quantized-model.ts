// A quantized model: the source weights, the full-precision tensors that transforms replaced
// (folded norms, scaled Linears), and every quantized Linear's codes, scales and zero points.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig, WeightSource } from '../core/model-config';
import { loadBlockWeights, type BlockWeights } from '../model/block-weights';
import { CachedBlocks } from '../model/gpu-model';
import { linearName, linearRoles } from '../core/tensor-names';
import { dequantizeWeight } from '../ops/quantize';
import { readBytes } from '../ops/pack-bytes';
import type { QuantizedLinear, QuantSpec } from '../core/quant-spec';

export interface QuantizedModel {
  config: ModelConfig;
  spec: QuantSpec;
  /** By HF module name, e.g. "model.layers.0.self_attn.q_proj". */
  linears: Map<string, QuantizedLinear>;
  /** Full-precision tensors replaced by transforms, by HF tensor name. */
  overrides: Map<string, Float32Array>;
}

/** The source with some tensors replaced: the transformed full-precision model. */
export function withOverrides(src: WeightSource, overrides: Map<string, Float32Array>): WeightSource {
  return {
    config: src.config,
    shapes: src.shapes,
    get: async (name) => overrides.get(name) ?? src.get(name),
  };
}

export function uploadQuantized(gpu: Gpu, q: QuantizedLinear): { codes: Tensor; scales: Tensor; zeros: Tensor; gIdx?: Tensor } {
  return {
    codes: gpu.upload(Uint32Array.from(q.codes), [q.rows, q.cols], `${q.name}.codes`),
    scales: gpu.upload(q.scales, [q.rows, q.scales.length / q.rows], `${q.name}.scales`),
    zeros: gpu.upload(q.zeros, [q.rows, q.zeros.length / q.rows], `${q.name}.zeros`),
    ...(q.gIdx ? { gIdx: gpu.upload(q.gIdx, [q.cols], `${q.name}.g_idx`) } : {}),
  };
}

/** Blocks whose Linears are dequantized on the GPU from the stored codes. */
export class QuantizedBlocks extends CachedBlocks {
  private src: WeightSource;
  constructor(
    private gpu: Gpu,
    source: WeightSource,
    private model: QuantizedModel,
    resident = true,
  ) {
    super(resident);
    this.src = withOverrides(source, model.overrides);
  }

  protected async load(i: number): Promise<BlockWeights> {
    const b = await loadBlockWeights(this.gpu, this.src, i);
    for (const role of linearRoles(this.model.config.arch)) {
      const q = this.model.linears.get(linearName(this.model.config.arch, i, role));
      const l = b.linears[role];
      if (!q || !l) continue; // left in full precision
      const t = uploadQuantized(this.gpu, q);
      dequantizeWeight(this.gpu, t, q.spec, q.cols, l.weight);
      t.codes.release();
      t.scales.release();
      t.zeros.release();
      t.gIdx?.release();
    }
    return b;
  }
}

/**
 * Reads GPU codes/scales/zeros back into a stored QuantizedLinear and releases those three tensors
 * (every caller is done with them; the copies are queued before the release, so a reused buffer
 * cannot change what is read). Call it for every Linear of a block before awaiting any.
 */
export async function readQuantized(
  gpu: Gpu,
  name: string,
  spec: QuantSpec,
  t: { codes: Tensor; scales: Tensor; zeros: Tensor },
  bias?: Float32Array,
): Promise<QuantizedLinear> {
  const [rows, cols] = t.codes.shape;
  // All three copies queued before the first wait: one round trip to the GPU, not three.
  const reads = Promise.all([readBytes(gpu, t.codes), t.scales.readF32(), t.zeros.readF32()]);
  for (const x of [t.codes, t.scales, t.zeros]) x.release();
  const [codes, scales, zeros] = await reads;
  return { name, rows, cols, spec, codes, scales, zeros, bias };
}
