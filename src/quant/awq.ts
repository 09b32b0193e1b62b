// AWQ for one block (LLMC's search_scale_subset, trans_version v2, then auto_clip v1), every
// tensor operation on the GPU; the CPU only reads back the 20 grid losses of each subset.
//   subsets (LLaMA): input_layernorm -> q,k,v (inspect attention output); v -> o where shapes
//   allow (no GQA); post_attention_layernorm -> gate,up (inspect MLP output); up -> down.
//   OPT: self_attn_layer_norm -> q,k,v; v -> out_proj; final_layer_norm -> fc1; fc1 -> fc2.
// The block's weights are transformed in place (scales folded, weights clipped); quantizing them
// with plain min/max afterwards gives AWQ's result.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import { blockActivations, linear, releaseActivations, type BatchShape, type BlockActivations } from '../model/block';
import { linearOf, type BlockWeights, type LinearWeights, type NormWeights } from '../model/block-weights';
import { attentionSublayer, mlpSublayer } from '../model/sublayers';
import type { LinearRole } from '../core/tensor-names';
import { quantizeWeight } from '../ops/quantize';
import { colAbsMean, awqScales, clipSearch } from '../ops/awq';
import { mulRowVector, divRowVector, divColVector } from '../ops/broadcast';
import { sub } from '../ops/elementwise';
import { sumSquares } from '../ops/reduce';
import { embeddingGather } from '../ops/embedding';
import type { QuantSpec } from '../core/quant-spec';
import { CancelledError } from '../gpu/errors';
import { withF32 } from '../ops/precision';

export const AWQ_GRID = 20;
export const CLIP_TOKENS = 512;

export interface AwqBlockReport {
  /** Best grid ratio per subset and the chosen scales (for Inspect). */
  subsets: { name: string; ratio: number; losses: number[]; scales: Float32Array }[];
  /** Wall seconds of the scale search (it ends in a readback), the clip search queued after it. */
  searchSeconds?: number;
}

/** The effective weight Q(W·diag(s))·diag(1/s) seen by the unscaled input. */
function scaledFakeQuant(gpu: Gpu, l: LinearWeights, s: Tensor, spec: QuantSpec): LinearWeights {
  const q = quantizeWeight(gpu, l.weight, spec, { colScale: s, codes: false, dequant: true, unscale: true });
  return { weight: q.deq!, bias: l.bias };
}

function squaredError(gpu: Gpu, a: Tensor, b: Tensor): Tensor {
  const d = sub(gpu, a, b);
  const e = sumSquares(gpu, d);
  d.release();
  return e;
}

/** Replaces a tensor by f(tensor), releasing the old one. */
function replace<T extends { weight: Tensor; bias?: Tensor }>(obj: T, key: 'weight' | 'bias', next: Tensor): void {
  obj[key]?.release();
  obj[key] = next;
}

/** Divide the output channels of the preceding op by s: a norm's weight/bias or a Linear's rows/bias. */
export function scalePrev(gpu: Gpu, prev: NormWeights | LinearWeights, s: Tensor, isLinear: boolean): void {
  if (isLinear) replace(prev, 'weight', divColVector(gpu, prev.weight, s));
  else replace(prev, 'weight', divRowVector(gpu, prev.weight.view([1, s.size]), s).view([s.size]));
  if (prev.bias) replace(prev, 'bias', divRowVector(gpu, prev.bias.view([1, s.size]), s).view([s.size]));
}

/** Multiply the input columns of each Linear by s. */
export function scaleNext(gpu: Gpu, lins: LinearWeights[], s: Tensor): void {
  for (const l of lins) replace(l, 'weight', mulRowVector(gpu, l.weight, s));
}

async function searchSubset(
  gpu: Gpu,
  name: string,
  x: Tensor,
  spec: QuantSpec,
  evaluate: (scaled: (l: LinearWeights) => LinearWeights) => Tensor,
  reference: Tensor,
  scaledLinears: LinearWeights[],
): Promise<{ name: string; ratio: number; losses: number[]; s: Tensor; invS: Tensor }> {
  const xmean = colAbsMean(gpu, x);
  const losses = gpu.tensor([AWQ_GRID], 'f32', 'awq-losses');
  const s = gpu.tensor([xmean.size], 'f32', 'awq-s');
  const invS = gpu.tensor([xmean.size], 'f32', 'awq-inv-s');
  for (let i = 0; i < AWQ_GRID; i++) {
    awqScales(gpu, xmean, i / AWQ_GRID, s, invS);
    const made: Tensor[] = [];
    const out = evaluate((l) => {
      if (!scaledLinears.includes(l)) return l;
      const e = scaledFakeQuant(gpu, l, s, spec);
      made.push(e.weight);
      return e;
    });
    const err = squaredError(gpu, out, reference);
    gpu.copy(err, losses, 0, i, 1);
    err.release();
    out.release();
    made.forEach((t) => t.release());
  }
  const values = Array.from(await losses.readF32());
  losses.release();
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] < values[best]) best = i;
  awqScales(gpu, xmean, best / AWQ_GRID, s, invS);
  xmean.release();
  return { name, ratio: best / AWQ_GRID, losses: values, s, invS };
}

/** Evenly strided rows of x (LLMC samples 512 tokens for the clip search). */
function strideRows(gpu: Gpu, x: Tensor, count: number): Tensor {
  const rows = x.shape[0];
  const step = Math.max(1, Math.floor(rows / count));
  const n = Math.min(count, Math.ceil(rows / step));
  const ids = gpu.upload(
    Uint32Array.from({ length: n }, (_, i) => i * step),
    [n],
    'clip-rows',
  );
  const out = embeddingGather(gpu, x, ids);
  ids.release();
  return out;
}

/**
 * AWQ's search on one block: scales per subset, then (clip) the clip search. Every product in f32
 * under the precision policy (ops/precision.ts withF32): each subset keeps the grid point of lowest
 * loss, and 20 losses that differ in their last digits pick a different point when the products
 * round differently; the search runs once, nothing averages that out.
 */
export function awqBlock(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  x: Tensor,
  shape: BatchShape,
  spec: QuantSpec,
  opts: { clip?: boolean; signal?: AbortSignal } = {},
): Promise<AwqBlockReport> {
  return withF32(gpu, () => searchBlock(gpu, cfg, w, x, shape, spec, opts));
}

async function searchBlock(
  gpu: Gpu,
  cfg: ModelConfig,
  w: BlockWeights,
  x: Tensor,
  shape: BatchShape,
  spec: QuantSpec,
  opts: { clip?: boolean; signal?: AbortSignal },
): Promise<AwqBlockReport> {
  const report: AwqBlockReport = { subsets: [] };
  // The chosen scales are read back at the end (one wait less per subset; the copies precede any change).
  const scaleReads: Promise<Float32Array>[] = [];
  const t0 = performance.now();
  const record = async (r: Awaited<ReturnType<typeof searchSubset>>, apply: (s: Tensor) => void) => {
    // Each subset's search ends in a readback: a cancel is seen here rather than at the next block.
    if (opts.signal?.aborted) {
      r.s.release();
      r.invS.release();
      if (acts) releaseActivations(acts);
      throw new CancelledError('The AWQ search');
    }
    apply(r.s);
    const scales = r.s.readF32();
    scales.catch(() => undefined); // awaited at the end; a lost device throws there
    scaleReads.push(scales);
    report.subsets.push({ name: r.name, ratio: r.ratio, losses: r.losses, scales: new Float32Array(0) });
    r.s.release();
    r.invS.release();
  };
  const L = (role: LinearRole) => linearOf(w, role);
  const isOpt = cfg.arch === 'opt';

  // 1. norm1 -> q, k, v, inspecting the attention sub-layer's output (not in post-norm OPT, whose
  // norms' outputs are the residual stream too: no scale folds into them).
  let acts: BlockActivations | undefined = blockActivations(gpu, cfg, w, x, shape);
  if (!cfg.postNorm) {
    const h1 = acts!.inputs.q!;
    const attnLin = () => ({ q: L('q'), k: L('k'), v: L('v'), o: L('o'), headNorms: w.headNorms });
    const attnRef = attentionSublayer(gpu, cfg, attnLin(), h1, shape, w.index);
    const qkv = await searchSubset(
      gpu,
      isOpt ? 'self_attn_layer_norm→qkv' : 'input_layernorm→qkv',
      h1,
      spec,
      (f) => {
        const a = attnLin();
        return attentionSublayer(gpu, cfg, { ...a, q: f(a.q), k: f(a.k), v: f(a.v) }, h1, shape, w.index);
      },
      attnRef,
      [L('q'), L('k'), L('v')],
    );
    attnRef.release();
    await record(qkv, (s) => {
      scalePrev(gpu, w.attnNorm, s, false);
      scaleNext(gpu, [L('q'), L('k'), L('v')], s);
    });
  }

  // 2. v -> o where v's output channels are o's input channels (no grouped-query sharing).
  if (cfg.heads === cfg.kvHeads) {
    releaseActivations(acts!);
    acts = blockActivations(gpu, cfg, w, x, shape);
    const a = acts!.inputs.o!;
    const ref = linear(gpu, a, L('o'));
    const vo = await searchSubset(gpu, isOpt ? 'v_proj→out_proj' : 'v_proj→o_proj', a, spec, (f) => linear(gpu, a, f(L('o'))), ref, [L('o')]);
    ref.release();
    await record(vo, (s) => {
      scalePrev(gpu, L('v'), s, true);
      scaleNext(gpu, [L('o')], s);
    });
  }

  // 3. norm2 -> gate, up (LLaMA: inspect the MLP output) or fc1 (OPT: inspect fc1).
  releaseActivations(acts!);
  acts = blockActivations(gpu, cfg, w, x, shape);
  const h2 = isOpt ? acts!.inputs.fc1! : acts!.inputs.gate!;
  if (isOpt) {
    // (post-norm: nothing to fold into, as in step 1)
    if (!cfg.postNorm) {
      const ref = linear(gpu, h2, L('fc1'));
      const r = await searchSubset(gpu, 'final_layer_norm→fc1', h2, spec, (f) => linear(gpu, h2, f(L('fc1'))), ref, [L('fc1')]);
      ref.release();
      await record(r, (s) => {
        scalePrev(gpu, w.mlpNorm, s, false);
        scaleNext(gpu, [L('fc1')], s);
      });
    }
  } else {
    const mlpLin = () => ({ first: L('gate'), up: L('up'), second: L('down') });
    const ref = mlpSublayer(gpu, cfg, mlpLin(), h2);
    const r = await searchSubset(
      gpu,
      'post_attention_layernorm→gate,up',
      h2,
      spec,
      (f) => mlpSublayer(gpu, cfg, { first: f(L('gate')), up: f(L('up')), second: L('down') }, h2),
      ref,
      [L('gate'), L('up')],
    );
    ref.release();
    await record(r, (s) => {
      scalePrev(gpu, w.mlpNorm, s, false);
      scaleNext(gpu, [L('gate'), L('up')], s);
    });
  }

  // 4. up -> down (LLaMA) or fc1 -> fc2 through ReLU (OPT; positive scales commute with ReLU).
  releaseActivations(acts!);
  acts = blockActivations(gpu, cfg, w, x, shape);
  const [prevRole, nextRole] = isOpt ? (['fc1', 'fc2'] as const) : (['up', 'down'] as const);
  if (!isOpt || cfg.activation === 'relu') {
    const a = acts!.inputs[nextRole]!;
    const ref = linear(gpu, a, L(nextRole));
    const r = await searchSubset(gpu, `${prevRole}→${nextRole}`, a, spec, (f) => linear(gpu, a, f(L(nextRole))), ref, [L(nextRole)]);
    ref.release();
    await record(r, (s) => {
      scalePrev(gpu, L(prevRole), s, true);
      scaleNext(gpu, [L(nextRole)], s);
    });
  }

  report.searchSeconds = (performance.now() - t0) / 1000;
  // 5. Clip search on every Linear but q and k, with the transformed block's inputs.
  if (opts.clip !== false && !spec.symmetric) {
    releaseActivations(acts!);
    acts = blockActivations(gpu, cfg, w, x, shape);
    for (const role of Object.keys(w.linears) as LinearRole[]) {
      if (role === 'q' || role === 'k') continue;
      const sample = strideRows(gpu, acts!.inputs[role]!, CLIP_TOKENS);
      clipSearch(gpu, L(role).weight, sample, spec).release();
      sample.release();
    }
  }
  releaseActivations(acts!);
  (await Promise.all(scaleReads)).forEach((scales, i) => (report.subsets[i].scales = scales));
  return report;
}
