// RMSNorm and LayerNorm over the last dimension of x[T, C], forward and backward.
// Weight (and bias) gradients are summed over tokens in two deterministic stages: per-chunk
// column sums, then an ordered sum over chunks, so T can be large without float atomics. The
// input gradient is norm-dx.ts's (the same kernel the frozen norms of training use).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { normBackwardDx } from './norm-dx';
import { checkHalfOut, storageBindingsFit, type HalfOut } from './cast';

/** RMSNorm, or (LAYERNORM) LayerNorm with its bias and means. */
const FORWARD = defineKernel({
  shader: 'norm-forward',
  uniforms: { T: 'u32', C: 'u32', eps: 'f32', slot: 'u32' },
  bindings: {
    x: 'read',
    weight: 'read',
    y: 'write',
    rstdOut: 'write',
    bias: 'read?',
    meanOut: 'write?',
    y16: 'write?',
    overflow: 'write?',
    addend: 'read?',
    sum: 'write?',
  },
});
const REDUCE_CHUNKS = defineKernel({ shader: 'norm-reduce-chunks', uniforms: { chunks: 'u32', C: 'u32' }, bindings: { partial: 'read', out: 'write' } });
const PARAM_GRADS = defineKernel({
  shader: 'norm-backward-params',
  uniforms: { T: 'u32', C: 'u32', chunk: 'u32' },
  bindings: { dy: 'read', x: 'read', rstdIn: 'read', partialW: 'write', meanIn: 'read?', partialB: 'write?' },
});

const ROW_WG = 256;
const COL_WG = 64;
/** Tokens per chunk of the parameter-gradient reduction. */
const GRAD_CHUNK = 256;

function dims(op: string, x: Tensor, weight: Tensor): { T: number; C: number } {
  const C = weight.size;
  if (C === 0 || x.size % C !== 0) throw new Error(`${op}: x has ${x.size} elements, not a multiple of C=${C}`);
  return { T: x.size / C, C };
}

export interface NormForwardOptions {
  /** Also write y's f16 copy (ops/cast.ts, HalfOut). */
  half?: HalfOut | null;
  /** Normalise x + addend (a residual connection), returned as `sum`: one pass instead of an add and a norm. */
  addend?: Tensor;
}

/** Whether the forward with these options binds no more storage buffers than the device allows. */
export function normForwardFits(gpu: Gpu, layerNorm: boolean, opts: NormForwardOptions): boolean {
  return storageBindingsFit(gpu, 4 + (layerNorm ? 2 : 0) + (opts.half ? 2 : 0) + (opts.addend ? 2 : 0));
}

/** The optional bindings of the f16 copy and the residual sum, checked. */
function extraBindings(gpu: Gpu, op: string, x: Tensor, y: Tensor, layerNorm: boolean, opts: NormForwardOptions) {
  const { half, addend } = opts;
  if (half) checkHalfOut(op, y, half);
  if (addend && addend.size !== x.size) throw new Error(`${op}: addend has ${addend.size} elements, x ${x.size}`);
  if (!normForwardFits(gpu, layerNorm, opts)) throw new Error(`${op}: these options bind more storage buffers than the device allows (normForwardFits)`);
  const sum = addend ? gpu.tensor(x.shape, 'f32', `${op}.sum`) : undefined;
  return { bindings: { y16: half?.copy, overflow: half?.counts, addend, sum }, sum, params: { HALF_OUT: Boolean(half), ADD: Boolean(addend) } };
}

/** y = x · rstd · weight per row (x + opts.addend where given, returned as sum); with opts.half, y's f16 copy too. */
export function rmsNorm(gpu: Gpu, x: Tensor, weight: Tensor, eps: number, opts: NormForwardOptions = {}): { y: Tensor; rstd: Tensor; sum?: Tensor } {
  const { T, C } = dims('rmsNorm', x, weight);
  const y = gpu.tensor(x.shape, 'f32', 'rmsnorm.y');
  const rstd = gpu.tensor([T], 'f32', 'rmsnorm.rstd');
  const extra = extraBindings(gpu, 'rmsNorm', x, y, false, opts);
  gpu.dispatch(FORWARD, {
    params: { WG: ROW_WG, LAYERNORM: false, ...extra.params },
    uniforms: { T, C, eps, slot: opts.half?.slot ?? 0 },
    bindings: { x, weight, y, rstdOut: rstd, ...extra.bindings },
    workgroups: gpu.grid1D(T),
    label: opts.addend ? 'add+rmsnorm' : 'rmsnorm',
  });
  return { y, rstd, sum: extra.sum };
}

export function layerNorm(
  gpu: Gpu,
  x: Tensor,
  weight: Tensor,
  bias: Tensor,
  eps: number,
  opts: NormForwardOptions = {},
): { y: Tensor; mean: Tensor; rstd: Tensor; sum?: Tensor } {
  const { T, C } = dims('layerNorm', x, weight);
  if (bias.size !== C) throw new Error(`layerNorm: bias has ${bias.size} elements, weight ${C}`);
  const y = gpu.tensor(x.shape, 'f32', 'layernorm.y');
  const mean = gpu.tensor([T], 'f32', 'layernorm.mean');
  const rstd = gpu.tensor([T], 'f32', 'layernorm.rstd');
  const extra = extraBindings(gpu, 'layerNorm', x, y, true, opts);
  gpu.dispatch(FORWARD, {
    params: { WG: ROW_WG, LAYERNORM: true, ...extra.params },
    uniforms: { T, C, eps, slot: opts.half?.slot ?? 0 },
    bindings: { x, weight, y, rstdOut: rstd, bias, meanOut: mean, ...extra.bindings },
    workgroups: gpu.grid1D(T),
    label: opts.addend ? 'add+layernorm' : 'layernorm',
  });
  return { y, mean, rstd, sum: extra.sum };
}

/** Sums partial[chunks, C] over chunks into a new [C] tensor. */
function reduceChunks(gpu: Gpu, partial: Tensor, chunks: number, C: number, name: string): Tensor {
  const out = gpu.tensor([C], 'f32', name);
  gpu.dispatch(REDUCE_CHUNKS, {
    params: { WG: COL_WG },
    uniforms: { chunks, C },
    bindings: { partial, out },
    workgroups: [Math.ceil(C / COL_WG)],
    label: 'norm.reduce-chunks',
  });
  return out;
}

function chunking(T: number, chunk: number): number {
  return Math.max(1, Math.ceil(T / chunk));
}

export function rmsNormBackward(gpu: Gpu, dy: Tensor, x: Tensor, weight: Tensor, rstd: Tensor, opts: { chunk?: number } = {}): { dx: Tensor; dweight: Tensor } {
  const { T, C } = dims('rmsNormBackward', x, weight);
  const chunk = opts.chunk ?? GRAD_CHUNK;
  const chunks = chunking(T, chunk);
  const dx = normBackwardDx(gpu, dy, x, weight, rstd);
  const partialW = gpu.tensor([chunks, C], 'f32', 'rmsnorm.partial-dw');
  gpu.dispatch(PARAM_GRADS, {
    params: { WG: COL_WG, LAYERNORM: false },
    uniforms: { T, C, chunk },
    bindings: { dy, x, rstdIn: rstd, partialW },
    workgroups: [Math.ceil(C / COL_WG), chunks],
    label: 'rmsnorm.dweight',
  });
  const dweight = reduceChunks(gpu, partialW, chunks, C, 'rmsnorm.dweight');
  partialW.release();
  return { dx, dweight };
}

export function layerNormBackward(
  gpu: Gpu,
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  mean: Tensor,
  rstd: Tensor,
  opts: { chunk?: number } = {},
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  const { T, C } = dims('layerNormBackward', x, weight);
  const chunk = opts.chunk ?? GRAD_CHUNK;
  const chunks = chunking(T, chunk);
  const dx = normBackwardDx(gpu, dy, x, weight, rstd, { mean });
  const partialW = gpu.tensor([chunks, C], 'f32', 'layernorm.partial-dw');
  const partialB = gpu.tensor([chunks, C], 'f32', 'layernorm.partial-db');
  gpu.dispatch(PARAM_GRADS, {
    params: { WG: COL_WG, LAYERNORM: true },
    uniforms: { T, C, chunk },
    bindings: { dy, x, rstdIn: rstd, partialW, meanIn: mean, partialB },
    workgroups: [Math.ceil(C / COL_WG), chunks],
    label: 'layernorm.dweight-dbias',
  });
  const dweight = reduceChunks(gpu, partialW, chunks, C, 'layernorm.dweight');
  const dbias = reduceChunks(gpu, partialB, chunks, C, 'layernorm.dbias');
  partialW.release();
  partialB.release();
  return { dx, dweight, dbias };
}
