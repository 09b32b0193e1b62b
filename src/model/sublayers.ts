// The attention and MLP sub-layers alone (no residual, no norm), with any weights: what AWQ
// inspects when it scores candidate scales.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import type { BlockWeights, LinearWeights } from './block-weights';
import { rmsNorm } from '../ops/norm';
import type { BatchShape } from './block';
import { linear } from './block';
import { ropeInputs } from '../ops/rope';
import { layerRope } from '../reference/rope';
import { causalAttention } from '../ops/attention';
import { swiglu, relu, gelu } from '../ops/activation';

/** o_proj(attention(q(h), k(h), v(h))) for normalised input h, in block `layer` (its RoPE). */
export function attentionSublayer(
  gpu: Gpu,
  cfg: ModelConfig,
  lin: { q: LinearWeights; k: LinearWeights; v: LinearWeights; o: LinearWeights; headNorms?: BlockWeights['headNorms'] },
  h: Tensor,
  shape: BatchShape,
  layer: number,
): Tensor {
  let q = linear(gpu, h, lin.q);
  let k = linear(gpu, h, lin.k);
  const v = linear(gpu, h, lin.v);
  if (lin.headNorms) {
    // Qwen3: each head of q and k normalised before RoPE
    const qn = rmsNorm(gpu, q, lin.headNorms.q.weight, cfg.normEps);
    const kn = rmsNorm(gpu, k, lin.headNorms.k.weight, cfg.normEps);
    [q, k, qn.rstd, kn.rstd].forEach((t) => t.release());
    q = qn.y;
    k = kn.y;
  }
  if (cfg.arch === 'llama') {
    const r = { ...layerRope(cfg, layer), seqLen: shape.seqLen };
    const [qr, kr] = ropeInputs(
      gpu,
      [
        { x: q, heads: cfg.heads },
        { x: k, heads: cfg.kvHeads },
      ],
      r,
    );
    q.release();
    k.release();
    q = qr;
    k = kr;
  }
  const a = causalAttention(gpu, q, k, v, { batch: shape.batch, seqLen: shape.seqLen, heads: cfg.heads, kvHeads: cfg.kvHeads, headDim: cfg.headDim });
  q.release();
  k.release();
  v.release();
  a.lse.release();
  const o = linear(gpu, a.out, lin.o);
  a.out.release();
  return o;
}

/** The MLP on normalised input h: down(silu(gate h) * up h), or fc2(act(fc1 h)) for OPT. */
export function mlpSublayer(gpu: Gpu, cfg: ModelConfig, lin: { first: LinearWeights; up?: LinearWeights; second: LinearWeights }, h: Tensor): Tensor {
  const a = linear(gpu, h, lin.first);
  let act: Tensor;
  if (cfg.arch === 'llama') {
    const u = linear(gpu, h, lin.up!);
    act = swiglu(gpu, a, u);
    u.release();
  } else {
    act = cfg.activation === 'gelu' ? gelu(gpu, a) : relu(gpu, a);
  }
  a.release();
  const out = linear(gpu, act, lin.second);
  act.release();
  return out;
}
