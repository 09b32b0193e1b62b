// Token-level cross-entropy over logits [tokens, vocab] with u32 targets [tokens]; a target of
// IGNORE_TARGET (0xFFFFFFFF) gives zero loss and a zero gradient row.
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import { inPlace, type Tensor } from '../gpu/tensor';

export const IGNORE_TARGET = 0xffffffff;
const WG = 256;

const CROSS_ENTROPY = defineKernel({
  shader: 'cross-entropy',
  uniforms: { rows: 'u32', cols: 'u32' },
  bindings: { x: 'read', targets: 'read', loss: 'write', lse: 'write' },
});
/** INPLACE overwrites the logits (bound as out) with the gradient. */
const CROSS_ENTROPY_BACKWARD = defineKernel({
  shader: 'cross-entropy-backward',
  uniforms: { n: 'u32', cols: 'u32', scale: 'f32' },
  bindings: { logits: 'read?', targets: 'read', lse: 'read', out: 'write' },
});

/** Threads per row: a power of two in [32, 256], about cols/4 (the kernel reads 4 values a step). */
function rowWorkgroup(cols: number): number {
  let wg = 32;
  while (wg * 4 < cols && wg < 256) wg *= 2;
  return wg;
}

function dims(op: string, logits: Tensor, targets: Tensor): [number, number] {
  if (logits.dtype !== 'f32') throw new Error(`${op}: logits are ${logits.dtype}, not f32`);
  if (targets.dtype !== 'u32') throw new Error(`${op}: targets must be u32, are ${targets.dtype}`);
  const vocab = logits.shape[logits.shape.length - 1] ?? 1;
  const tokens = vocab === 0 ? 0 : logits.size / vocab;
  if (vocab === 0 || targets.size !== tokens) throw new Error(`${op}: ${targets.size} targets for logits [${logits.shape}]`);
  return [tokens, vocab];
}

export interface CrossEntropyOptions {
  /** Output tensors [tokens]; allocated when absent. */
  loss?: Tensor;
  lse?: Tensor;
}

/**
 * loss[t] = lse[t] - logits[t, target[t]] (0 for ignored targets), lse[t] = log-sum-exp of row t.
 * Mean loss = sumAll(loss) / (number of non-ignored targets), counted by the caller.
 */
export function crossEntropy(gpu: Gpu, logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): { loss: Tensor; lse: Tensor } {
  const [tokens] = dims('crossEntropy', logits, targets);
  const loss = opts.loss ?? gpu.tensor([tokens], 'f32', 'ce.loss');
  const lse = opts.lse ?? gpu.tensor([tokens], 'f32', 'ce.lse');
  for (const t of [loss, lse]) if (t.size !== tokens || t.dtype !== 'f32') throw new Error(`crossEntropy: ${t.name} must be f32 [${tokens}]`);
  const vocab = logits.size / tokens;
  gpu.dispatch(CROSS_ENTROPY, {
    params: { WG: rowWorkgroup(vocab) },
    uniforms: { rows: tokens, cols: vocab },
    bindings: { x: logits, targets, loss, lse },
    workgroups: gpu.grid1D(tokens),
    label: 'crossEntropy',
  });
  return { loss, lse };
}

/**
 * dlogits = scale * (softmax(logits) - onehot(target)), zero rows for ignored targets: the
 * gradient of scale * sum(loss). `out` may be the logits tensor itself (saves a [tokens, vocab]
 * buffer when the logits are not needed afterwards).
 */
export function crossEntropyBackward(gpu: Gpu, logits: Tensor, targets: Tensor, lse: Tensor, scale: number, out?: Tensor): Tensor {
  const [tokens, vocab] = dims('crossEntropyBackward', logits, targets);
  if (lse.size !== tokens || lse.dtype !== 'f32') throw new Error(`crossEntropyBackward: lse must be f32 [${tokens}]`);
  const dst = out ?? gpu.tensor(logits.shape, 'f32', 'ce.dlogits');
  if (dst.size !== logits.size || dst.dtype !== 'f32') throw new Error('crossEntropyBackward: out must be f32 shaped like logits');
  const same = inPlace('crossEntropyBackward', dst, logits);
  const colBlocks = Math.ceil(vocab / WG);
  const rows2d = tokens <= gpu.maxWorkgroupsPerDim && colBlocks <= gpu.maxWorkgroupsPerDim;
  gpu.dispatch(CROSS_ENTROPY_BACKWARD, {
    params: { WG, INPLACE: same, ROWS2D: rows2d },
    uniforms: { n: logits.size, cols: vocab, scale },
    bindings: same ? { out: dst, targets, lse } : { logits, targets, lse, out: dst },
    workgroups: rows2d ? [colBlocks, tokens] : gpu.grid1D(Math.ceil(logits.size / WG)),
    label: 'crossEntropyBackward',
  });
  return dst;
}

/** Next-token targets for `batch` concatenated windows; the last position of each is ignored. */
export function nextTokenTargets(ids: Uint32Array, seqLen: number): Uint32Array {
  const t = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) t[i] = (i + 1) % seqLen === 0 ? IGNORE_TARGET : ids[i + 1];
  return t;
}
