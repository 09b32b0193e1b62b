// Causal grouped-query attention, the flash path: forward (online softmax, saves lse) and backward
// (FlashAttention-2 recomputation: a delta pass, a dq pass over key tiles, a dk/dv pass over query
// tiles and the heads of each kv group), all f32. Deterministic: no atomics anywhere.
// Layout: q/out [T, heads*D], k/v [T, kvHeads*D], lse [T, heads], with T = batch*seqLen.
// ops/attention.ts chooses between this path and the matmul path (ops/attention-matmul.ts).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import { attentionScale, type AttentionOptions } from '../reference/attention';

/** Lanes serving one row: they split the keys of a tile for scores and the head dims for outputs. */
const TPR = 8;
const DELTA_WG = 64;

export interface AttentionTiles {
  /** Rows (queries, or keys in the dk/dv pass) owned by one workgroup; BR*8 invocations. */
  rows: number;
  /** Keys (or queries) per shared-memory tile; a multiple of 8. */
  cols: number;
}

export interface FlashAttentionOptions extends AttentionOptions {
  /** Override the tile shape (tests use small tiles to cover multi-tile paths). */
  tiles?: AttentionTiles;
}

/** The uniforms every tiled attention kernel takes (shaders/attention-common.wgsl). */
const TILED_UNIFORMS = { seqLen: 'u32', Hq: 'u32', Hkv: 'u32', rep: 'u32', scale: 'f32' } as const;
const FORWARD = defineKernel({
  shader: 'attention-forward',
  uniforms: TILED_UNIFORMS,
  bindings: { q: 'read', k: 'read', v: 'read', out: 'write', lse: 'write' },
});
const FORWARD_VEC4 = defineKernel({
  shader: 'attention-forward-vec4',
  uniforms: TILED_UNIFORMS,
  bindings: { q: 'read', k: 'read', v: 'read', out: 'write', lse: 'write' },
});
const DELTA = defineKernel({
  shader: 'attention-backward-delta',
  uniforms: { rows: 'u32', D: 'u32', seqLen: 'u32', groups: 'u32', rep: 'u32', slot: 'u32' },
  bindings: { dout: 'read', out: 'read', delta: 'write', split: 'write?', overflow: 'write?' },
});
const DQ = defineKernel({
  shader: 'attention-backward-dq',
  uniforms: TILED_UNIFORMS,
  bindings: { q: 'read', k: 'read', v: 'read', dout: 'read', lse: 'read', delta: 'read', dq: 'write' },
});
const DKV = defineKernel({
  shader: 'attention-backward-dkv',
  uniforms: TILED_UNIFORMS,
  bindings: { q: 'read', k: 'read', v: 'read', dout: 'read', lse: 'read', delta: 'read', dk: 'write', dv: 'write' },
});

/** forward4: the vec4 forward kernel, for head dims that are a multiple of 4. */
type Pass = 'forward' | 'forward4' | 'dq' | 'dkv';

/** Shared memory (bytes) of one workgroup of the given pass. */
function sharedBytes(pass: Pass, D: number, t: AttentionTiles): number {
  const tileFloats = t.cols * (D + 1);
  const rowTile = t.rows * t.cols;
  if (pass === 'forward4') return 4 * (t.cols * (D + 4) + 2 * rowTile);
  return 4 * (pass === 'dkv' ? 2 * tileFloats + 2 * rowTile : tileFloats + rowTile);
}

/** The widest tile that fits the device's workgroup memory (16 KiB is the WebGPU minimum). */
export function pickTiles(gpu: Gpu, pass: Pass, D: number): AttentionTiles {
  const limit = gpu.device.limits.maxComputeWorkgroupStorageSize;
  for (const rows of [16, 8])
    for (const cols of [32, 24, 16, 8]) {
      const t = { rows, cols };
      if (sharedBytes(pass, D, t) <= limit) return t;
    }
  throw new Error(`attention: head dim ${D} needs more than ${limit} bytes of workgroup memory`);
}

/** Timing label of a tiled pass: its shape, read back by the benchmark to count its FLOPs (src/cli/kernel-flops.ts). */
function shapeLabel(pass: string, o: AttentionOptions): string {
  return `attention.${pass} b${o.batch} h${o.heads} s${o.seqLen} d${o.headDim}`;
}

export function checkAttentionShapes(op: string, q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions): number {
  const { batch, seqLen, heads, kvHeads, headDim: D } = o;
  const T = batch * seqLen;
  if (heads % kvHeads !== 0) throw new Error(`${op}: ${heads} heads are not a multiple of ${kvHeads} kv heads`);
  if (q.size !== T * heads * D) throw new Error(`${op}: q has ${q.size} elements, expected ${T}x${heads}x${D}`);
  if (k.size !== T * kvHeads * D || v.size !== T * kvHeads * D) {
    throw new Error(`${op}: k/v have ${k.size}/${v.size} elements, expected ${T}x${kvHeads}x${D}`);
  }
  if (seqLen < 1) throw new Error(`${op}: seqLen ${seqLen}`);
  return T;
}

function kernelParams(gpu: Gpu, pass: Pass, o: FlashAttentionOptions) {
  const D = o.headDim;
  const t = o.tiles ?? pickTiles(gpu, pass, D);
  if (t.cols % TPR !== 0 || t.rows * TPR > gpu.maxWorkgroupSize) throw new Error(`attention: bad tiles ${JSON.stringify(t)}`);
  return {
    tiles: t,
    params: {
      D,
      BR: t.rows,
      BC: t.cols,
      TPR,
      NT: t.rows * TPR,
      NCOL: t.cols / TPR,
      // the vec4 kernel counts its head dims and outputs in vec4s
      ...(pass === 'forward4' ? { D4: D / 4, NOUT: Math.ceil(D / 4 / TPR) } : { NOUT: Math.ceil(D / TPR) }),
    },
    uniforms: { seqLen: o.seqLen, Hq: o.heads, Hkv: o.kvHeads, rep: o.heads / o.kvHeads, scale: attentionScale(o) },
  };
}

export function flashAttention(gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, o: FlashAttentionOptions): { out: Tensor; lse: Tensor } {
  const T = checkAttentionShapes('flashAttention', q, k, v, o);
  const out = gpu.tensor([T, o.heads * o.headDim], 'f32', 'attention.out');
  const lse = gpu.tensor([T, o.heads], 'f32', 'attention.lse');
  // vec4 loads and one exp per score where every lane owns at least one output vec4 (head dims
  // 32, 64, 128...: 1.9x faster on the H100 at D=64); below that (stories260K's D=8) the vec4
  // kernel leaves lanes idle and was slower (918 -> 1443 µs), so the scalar kernel stays
  const pass: Pass = o.headDim % 4 === 0 && o.headDim / 4 >= TPR ? 'forward4' : 'forward';
  const kp = kernelParams(gpu, pass, o);
  gpu.dispatch(pass === 'forward4' ? FORWARD_VEC4 : FORWARD, {
    params: kp.params,
    uniforms: kp.uniforms,
    bindings: { q, k, v, out, lse },
    workgroups: [Math.ceil(o.seqLen / kp.tiles.rows), o.heads, o.batch],
    label: shapeLabel('forward', o),
  });
  return { out, lse };
}

/** Where attentionDelta also writes dout's head split (the matmul path's layout, f16 counted in `half` or f32). */
export interface DoutSplit {
  out: Tensor;
  half: { counts: Tensor; slot: number } | null;
}

/**
 * delta [T, heads]: each row's dout·out, the row term of the softmax backward (both paths); with
 * `split`, the same pass writes dout's head split [batch*kvHeads, rep*seqLen, D] there.
 */
export function attentionDelta(gpu: Gpu, dout: Tensor, out: Tensor, o: AttentionOptions, split?: DoutSplit): Tensor {
  const rows = o.batch * o.seqLen * o.heads;
  const delta = gpu.tensor([o.batch * o.seqLen, o.heads], 'f32', 'attention.delta');
  if (split && (split.out.size !== dout.size || split.out.dtype !== (split.half ? 'f16' : 'f32')))
    throw new Error(
      `attentionDelta: the split of dout must be ${split.half ? 'f16' : 'f32'} of ${dout.size} elements, got ${split.out.dtype} [${split.out.shape}]`,
    );
  gpu.dispatch(DELTA, {
    params: { WG: DELTA_WG, SPLIT: Boolean(split), F16: Boolean(split?.half), ELEM: split?.half ? 'f16' : 'f32' },
    uniforms: { rows, D: o.headDim, seqLen: o.seqLen, groups: o.kvHeads, rep: o.heads / o.kvHeads, slot: split?.half?.slot ?? 0 },
    bindings: { dout, out, delta, split: split?.out, overflow: split?.half?.counts },
    workgroups: gpu.grid1D(Math.ceil(rows / DELTA_WG)),
    label: split ? 'attention.delta and dout split' : 'attention.delta',
  });
  return delta;
}

export function flashAttentionBackward(
  gpu: Gpu,
  dout: Tensor,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  o: FlashAttentionOptions,
): { dq: Tensor; dk: Tensor; dv: Tensor } {
  checkAttentionShapes('flashAttentionBackward', q, k, v, o);
  const delta = attentionDelta(gpu, dout, out, o);
  const dq = gpu.tensor(q.shape, 'f32', 'attention.dq');
  const dk = gpu.tensor(k.shape, 'f32', 'attention.dk');
  const dv = gpu.tensor(v.shape, 'f32', 'attention.dv');
  const pq = kernelParams(gpu, 'dq', o);
  gpu.dispatch(DQ, {
    params: pq.params,
    uniforms: pq.uniforms,
    bindings: { q, k, v, dout, lse, delta, dq },
    workgroups: [Math.ceil(o.seqLen / pq.tiles.rows), o.heads, o.batch],
    label: shapeLabel('dq', o),
  });
  const pkv = kernelParams(gpu, 'dkv', o);
  gpu.dispatch(DKV, {
    params: pkv.params,
    uniforms: pkv.uniforms,
    bindings: { q, k, v, dout, lse, delta, dk, dv },
    workgroups: [Math.ceil(o.seqLen / pkv.tiles.rows), o.kvHeads, o.batch],
    label: shapeLabel('dkv', o),
  });
  delta.release();
  return { dq, dk, dv };
}
