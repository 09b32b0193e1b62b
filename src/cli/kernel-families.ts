// Kernel families for the bench: the timed dispatches of a method grouped by what they do (one
// explicit table from shader name to family), each with its GPU time, share, achieved rate and the
// ceiling it is compared with. Matmuls and attention are compared in FLOP/s with the same path's
// matmul at n³ measured in the same run; every other family in bytes/s with the device's measured
// streaming bandwidth. Bytes are an estimate: the sizes of the storage buffers each dispatch bound
// (an upper bound where a kernel reads part of a buffer, a lower one where it reads and writes the
// same buffer, counted once). Pure, so it is unit-tested.
import type { KernelTotal } from '../gpu/timing';
import type { MatmulPath } from '../ops/matmul';
import { dispatchFlops, matmulLabelPath } from './kernel-flops';

/** Shader (file name in shaders/ without .wgsl) -> family. The matmul kernels are split by label below. */
export const SHADER_FAMILIES: Readonly<Record<string, string>> = {
  'matmul-splitk': 'matmul split-K sums',
  'attention-forward': 'attention forward',
  'attention-forward-vec4': 'attention forward',
  'attention-backward-delta': 'attention backward',
  'attention-backward-dq': 'attention backward',
  'attention-backward-dkv': 'attention backward',
  // the matmul path's own kernels (its products are counted with the matmuls): memory-bound
  'attention-heads': 'attention matmul path: copies, softmax, dS',
  'attention-softmax': 'attention matmul path: copies, softmax, dS',
  'attention-ds': 'attention matmul path: copies, softmax, dS',
  'norm-forward': 'norms',
  'norm-reduce-chunks': 'norms',
  'norm-backward-params': 'norms',
  'norm-dx-residual': 'norms',
  'elementwise-binary': 'elementwise, activations, RoPE',
  'elementwise-unary': 'elementwise, activations, RoPE',
  broadcast: 'elementwise, activations, RoPE',
  'activation-swiglu': 'elementwise, activations, RoPE',
  'activation-unary': 'elementwise, activations, RoPE',
  rope: 'elementwise, activations, RoPE',
  'rope-qkv': 'elementwise, activations, RoPE',
  'clamp-min': 'elementwise, activations, RoPE',
  softmax: 'softmax',
  'cross-entropy': 'cross-entropy',
  'cross-entropy-backward': 'cross-entropy',
  'mse-grad': 'MSE loss',
  'embedding-gather': 'embedding',
  'embedding-backward': 'embedding',
  'copy-columns': 'embedding',
  quantize: 'quantize, dequantize',
  dequantize: 'quantize, dequantize',
  'pack-bytes': 'quantize, dequantize',
  'cast-f16': 'casts f32 -> f16',
  adam: 'Adam',
  'reduce-rows': 'reductions',
  'reduce-cols': 'reductions',
  'reduce-all': 'reductions',
  'col-abs-mean': 'AWQ',
  'awq-scales': 'AWQ',
  'clip-search': 'AWQ',
  'teq-effective': 'TEQ',
  'teq-grad-group': 'TEQ',
  'teq-colsum': 'TEQ',
  'tesseraq-init': 'TesseraQ',
  'tesseraq-soft-weight': 'TesseraQ',
  'tesseraq-grad': 'TesseraQ',
  'tesseraq-step': 'TesseraQ',
  'tesseraq-histogram': 'TesseraQ',
  'tesseraq-threshold': 'TesseraQ',
  'tesseraq-harden': 'TesseraQ',
  'tesseraq-stats': 'TesseraQ',
  'tesseraq-export': 'TesseraQ',
  'gptq-diag': 'GPTQ',
  'gptq-hessian-prepare': 'GPTQ',
  'gptq-chol-diag': 'GPTQ',
  'gptq-chol-panel': 'GPTQ',
  'gptq-chol-update': 'GPTQ',
  'gptq-trinv': 'GPTQ',
  'gptq-reverse': 'GPTQ',
  'gptq-weights-prepare': 'GPTQ',
  'gptq-columns': 'GPTQ',
  'gptq-trailing': 'GPTQ',
  // bench:tensor-probe's cut-down inner loop (no method runs it)
  'tensor-core-probe': 'tensor-core probe',
};
const MATMUL_SHADERS = new Set(['matmul', 'matmul-subgroup']);
export const OTHER_FAMILY = 'other';

export const PATH_NAMES: Readonly<Record<MatmulPath, string>> = { f32: 'f32', f16: 'f16 storage', 'subgroup-matrix': 'tensor cores' };
/** Families compared in FLOP/s, with the matmul path whose n³ rate is their ceiling (attention runs f32). */
const COMPUTE_FAMILIES: Readonly<Record<string, MatmulPath>> = {
  'attention forward': 'f32',
  'attention backward': 'f32',
  ...Object.fromEntries(
    (Object.keys(PATH_NAMES) as MatmulPath[]).flatMap((p) => [
      [`Linear matmul ${PATH_NAMES[p]}`, p],
      [`other matmul ${PATH_NAMES[p]}`, p],
    ]),
  ),
};

/** The family of a timed kernel: matmuls by role ('linear ...' labels are a Linear's) and path, the rest by shader. */
export function familyOf(shader: string, label: string): string {
  if (MATMUL_SHADERS.has(shader)) {
    const path = matmulLabelPath(label) ?? (shader === 'matmul-subgroup' ? 'subgroup-matrix' : 'f32');
    return `${label.startsWith('linear ') ? 'Linear' : 'other'} matmul ${PATH_NAMES[path]}`;
  }
  return SHADER_FAMILIES[shader] ?? OTHER_FAMILY;
}

/** The device's rates measured in the bench run, the ceilings of the families. */
export interface Ceilings {
  /** n of the n³ matmuls that measured the compute ceilings. */
  matmulSize: number;
  /** TFLOP/s of each matmul path the device offers, at n³. */
  matmulTflops: Partial<Record<MatmulPath, number>>;
  /** GB/s of a streaming kernel (bytes it binds per second). */
  bandwidthGBs?: number;
  /** What measured the bandwidth, e.g. "add, 3 x 256 MiB f32". */
  bandwidthProbe?: string;
}

export interface FamilyRow {
  family: string;
  /** GPU time of the family's timed dispatches (timestamps sample a part of all dispatches). */
  gpuMs: number;
  timed: number;
  /** Share of the method's timed GPU time. */
  share: number;
  /** FLOPs of the dispatches whose labels give them, over the family's whole time; absent where none do. */
  tflops?: number;
  /** Estimated bytes (bound storage buffers) over the family's time. */
  gbps: number;
  bound: 'compute' | 'memory';
  /** In TFLOP/s (compute) or GB/s (memory); absent where this run did not measure it. */
  ceiling?: number;
  ceilingOf?: string;
  /** Achieved rate / ceiling. */
  ofCeiling?: number;
  /** The labels timed in this family, most GPU time first. */
  kernels: string[];
}

function ceilingOf(family: string, c: Ceilings | undefined): Pick<FamilyRow, 'bound' | 'ceiling' | 'ceilingOf'> {
  const path = COMPUTE_FAMILIES[family];
  if (path) {
    const t = c?.matmulTflops[path];
    return { bound: 'compute', ceiling: t, ceilingOf: t === undefined ? undefined : `${PATH_NAMES[path]} matmul ${c!.matmulSize}³` };
  }
  const bw = c?.bandwidthGBs;
  return { bound: 'memory', ceiling: bw, ceilingOf: bw === undefined ? undefined : `streaming ${c!.bandwidthProbe ?? 'kernel'}` };
}

/** The timed kernels grouped into families, most GPU time first. */
export function kernelFamilies(totals: ReadonlyMap<string, KernelTotal>, ceilings?: Ceilings): FamilyRow[] {
  const groups = new Map<string, { ns: number; count: number; bytes: number; flops: number; hasFlops: boolean; kernels: [string, number][] }>();
  let sum = 0;
  for (const [label, e] of totals) {
    const family = familyOf(e.shader, label);
    let g = groups.get(family);
    if (!g) groups.set(family, (g = { ns: 0, count: 0, bytes: 0, flops: 0, hasFlops: false, kernels: [] }));
    const flops = dispatchFlops(label);
    g.ns += e.ns;
    g.count += e.count;
    g.bytes += e.bytes;
    if (flops !== undefined) {
      g.flops += flops * e.count;
      g.hasFlops = true;
    }
    g.kernels.push([label, e.ns]);
    sum += e.ns;
  }
  return [...groups.entries()]
    .map(([family, g]): FamilyRow => {
      const c = ceilingOf(family, ceilings);
      const tflops = g.hasFlops && g.ns > 0 ? g.flops / g.ns / 1e3 : undefined;
      const gbps = g.ns > 0 ? g.bytes / g.ns : 0;
      const achieved = c.bound === 'compute' ? tflops : gbps;
      return {
        family,
        gpuMs: g.ns / 1e6,
        timed: g.count,
        share: sum > 0 ? g.ns / sum : 0,
        tflops,
        gbps,
        ...c,
        ofCeiling: achieved !== undefined && c.ceiling ? achieved / c.ceiling : undefined,
        kernels: g.kernels.sort((x, y) => y[1] - x[1]).map(([l]) => l),
      };
    })
    .sort((x, y) => y.gpuMs - x.gpuMs);
}
