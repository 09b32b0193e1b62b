// float64 forward of a whole model (LLaMA family and OPT) composed from the kernel twins: the
// oracle for the GPU model and for perplexity on the fixture. Weights come as f32 by HF name.
import { hasFinalNorm, type ModelConfig } from '../core/model-config';
import { globalNames, headNormNames, linearHasBias, linearName, linearRoles, normNames, type LinearRole } from '../core/tensor-names';
import { matmulRef } from './matmul';
import { rmsNormRef, layerNormRef } from './norm';
import { layerRope, ropeRef } from './rope';
import { attentionRef } from './attention';
import { swigluRef, reluRef, geluRef } from './activation';
import { crossEntropyRef } from './cross-entropy';

export type RefWeights = (name: string) => Float32Array | Float64Array;

function linearRef(x: Float64Array, w: RefWeights, name: string, out: number, inp: number, bias: boolean): Float64Array {
  const T = x.length / inp;
  return matmulRef(x, w(`${name}.weight`), { m: T, k: inp, n: out }, { transB: true, bias: bias ? w(`${name}.bias`) : undefined });
}

function normRef(cfg: ModelConfig, x: Float64Array, w: RefWeights, name: string): Float64Array {
  return cfg.arch === 'opt' ? layerNormRef(x, w(`${name}.weight`), w(`${name}.bias`), cfg.normEps).y : rmsNormRef(x, w(`${name}.weight`), cfg.normEps).y;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]);
}

/** One block; `inputs`, when given, receives each Linear's input [tokens, in] (what GPTQ's Hessians are built from). */
export function blockRef(
  cfg: ModelConfig,
  w: RefWeights,
  layer: number,
  x: Float64Array,
  batch: number,
  seqLen: number,
  inputs?: Partial<Record<LinearRole, Float64Array>>,
): Float64Array {
  const H = cfg.hidden,
    qW = cfg.heads * cfg.headDim,
    kvW = cfg.kvHeads * cfg.headDim;
  const L = (r: LinearRole, x: Float64Array, out: number, inp: number) => {
    if (inputs) inputs[r] = x;
    return linearRef(x, w, linearName(cfg.arch, layer, r), out, inp, linearHasBias(cfg, r));
  };
  const norms = normNames(cfg.arch, layer);
  // post-norm OPT: q, k and v read the block's input, each norm follows its residual sum
  const h = cfg.postNorm ? x : normRef(cfg, x, w, norms.attn);
  let q = L('q', h, qW, H),
    k = L('k', h, kvW, H);
  const v = L('v', h, kvW, H);
  if (cfg.qkNorm) {
    // Qwen3: RMSNorm over each head (rows of headDim) of q and k before RoPE
    const hn = headNormNames(layer);
    q = rmsNormRef(q, w(`${hn.q}.weight`), cfg.normEps).y;
    k = rmsNormRef(k, w(`${hn.k}.weight`), cfg.normEps).y;
  }
  if (cfg.arch === 'llama') {
    const r = { ...layerRope(cfg, layer), seqLen };
    q = ropeRef(q, { ...r, heads: cfg.heads });
    k = ropeRef(k, { ...r, heads: cfg.kvHeads });
  }
  const a = attentionRef(q, k, v, { batch, seqLen, heads: cfg.heads, kvHeads: cfg.kvHeads, headDim: cfg.headDim }).out;
  const s1 = add(x, L('o', a, H, qW));
  const x1 = cfg.postNorm ? normRef(cfg, s1, w, norms.attn) : s1;
  const h2 = cfg.postNorm ? x1 : normRef(cfg, x1, w, norms.mlp);
  let m: Float64Array;
  if (cfg.arch === 'llama') {
    const act = swigluRef(L('gate', h2, cfg.intermediate, H), L('up', h2, cfg.intermediate, H));
    m = L('down', act, H, cfg.intermediate);
  } else {
    const f = L('fc1', h2, cfg.intermediate, H);
    m = L('fc2', cfg.activation === 'gelu' ? geluRef(f) : reluRef(f), H, cfg.intermediate);
  }
  return cfg.postNorm ? normRef(cfg, add(x1, m), w, norms.mlp) : add(x1, m);
}

/** Logits [T, V] in float64 for `batch` sequences of `seqLen` tokens. */
export function forwardRef(cfg: ModelConfig, w: RefWeights, ids: ArrayLike<number>, batch: number, seqLen: number): Float64Array {
  const names = globalNames(cfg.arch);
  const H = cfg.hidden;
  const E = cfg.embedDim ?? H;
  const emb = w(names.embed);
  let x: Float64Array = new Float64Array(ids.length * E);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < E; c++) x[t * E + c] = emb[ids[t] * E + c];
  // OPT's narrower embedding projected to the blocks' width (and back before the head)
  if (cfg.embedDim !== undefined) x = matmulRef(x, w(names.projectIn!), { m: ids.length, k: E, n: H }, { transB: true });
  if (names.positions) {
    const pos = w(names.positions);
    for (let t = 0; t < ids.length; t++) for (let c = 0; c < H; c++) x[t * H + c] += pos[((t % seqLen) + 2) * H + c];
  }
  for (let l = 0; l < cfg.layers; l++) x = blockRef(cfg, w, l, x, batch, seqLen);
  return logitsRef(cfg, w, x);
}

/** Logits [T, V] from the last block's output h [T, hidden]: the final norm (none in post-norm OPT), OPT's project_out, the LM head. */
export function logitsRef(cfg: ModelConfig, w: RefWeights, h: Float64Array): Float64Array {
  const names = globalNames(cfg.arch);
  const H = cfg.hidden;
  const E = cfg.embedDim ?? H;
  const T = h.length / H;
  let n = hasFinalNorm(cfg) ? normRef(cfg, h, w, names.finalNorm) : h;
  if (cfg.embedDim !== undefined) n = matmulRef(n, w(names.projectOut!), { m: T, k: H, n: E }, { transB: true });
  const head = cfg.tiedEmbeddings ? w(names.embed) : w(names.lmHead);
  return matmulRef(n, head, { m: T, k: E, n: cfg.vocab }, { transB: true });
}

/** Summed next-token loss of one window (positions 1..L-1 scored) and the count. */
export function windowNllRef(cfg: ModelConfig, w: RefWeights, window: ArrayLike<number>): { nll: number; count: number } {
  const L = window.length;
  const logits = forwardRef(cfg, w, window, 1, L);
  const targets = Array.from({ length: L - 1 }, (_, i) => window[i + 1]);
  const { loss } = crossEntropyRef(logits.subarray(0, (L - 1) * cfg.vocab), L - 1, cfg.vocab, targets);
  return { nll: loss.reduce((a, b) => a + b, 0), count: L - 1 };
}

export { linearRoles };
