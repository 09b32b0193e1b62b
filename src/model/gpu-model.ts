// A model on the GPU: embeddings, blocks and the head. Blocks come from a provider, so the same
// forward runs the full-precision model (weights streamed or resident) and quantized models
// (weights dequantized from stored codes).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { ModelConfig, WeightSource } from '../core/model-config';
import { globalNames } from '../core/tensor-names';
import { loadBlockWeights, releaseBlockWeights, type BlockWeights, type NormWeights } from './block-weights';
import { blockForward, type BatchShape } from './block';
import { embeddingGather } from '../ops/embedding';
import { add } from '../ops/elementwise';
import { matmul } from '../ops/matmul';
import { rmsNorm, layerNorm } from '../ops/norm';

/** Hands out one block's weights at a time; done() lets a streaming provider free them. */
export interface BlockProvider {
  get(index: number): Promise<BlockWeights>;
  done(index: number): void;
}

/** Full-precision blocks from a weight source, either all resident or streamed one at a time. */
export class SourceBlocks implements BlockProvider {
  private cache = new Map<number, BlockWeights>();
  constructor(
    private gpu: Gpu,
    private src: WeightSource,
    private resident: boolean,
  ) {}
  async get(i: number): Promise<BlockWeights> {
    let b = this.cache.get(i);
    if (!b) {
      b = await loadBlockWeights(this.gpu, this.src, i);
      this.cache.set(i, b);
    }
    return b;
  }
  done(i: number): void {
    if (this.resident) return;
    const b = this.cache.get(i);
    if (b) releaseBlockWeights(b);
    this.cache.delete(i);
  }
  release(): void {
    for (const b of this.cache.values()) releaseBlockWeights(b);
    this.cache.clear();
  }
}

export interface ModelGlobals {
  embed: Tensor;
  positions?: Tensor;
  finalNorm: NormWeights;
  lmHead: Tensor;
}

export async function loadGlobals(gpu: Gpu, src: WeightSource): Promise<ModelGlobals> {
  const names = globalNames(src.config.arch);
  const up = async (n: string) =>
    gpu.upload(
      await src.get(n),
      src.shapes.get(n) ??
        (() => {
          throw new Error(`missing tensor ${n}`);
        })(),
      n,
    );
  const embed = await up(names.embed);
  const lmHead = src.config.tiedEmbeddings ? embed : await up(names.lmHead);
  return {
    embed,
    positions: names.positions ? await up(names.positions) : undefined,
    finalNorm: {
      weight: await up(`${names.finalNorm}.weight`),
      bias: src.config.arch === 'opt' ? await up(`${names.finalNorm}.bias`) : undefined,
    },
    lmHead,
  };
}

/** Frees what loadGlobals uploaded (a tied LM head is the embedding, freed once). */
export function releaseGlobals(g: ModelGlobals): void {
  g.embed.release();
  if (g.lmHead !== g.embed) g.lmHead.release();
  g.positions?.release();
  g.finalNorm.weight.release();
  g.finalNorm.bias?.release();
}

/** OPT's learned positions are offset by 2 (a fairseq legacy); positions restart every sequence. */
export const OPT_POSITION_OFFSET = 2;

export function embedTokens(gpu: Gpu, g: ModelGlobals, ids: Uint32Array, shape: BatchShape): Tensor {
  const idT = gpu.upload(ids, [ids.length], 'token-ids');
  const x = embeddingGather(gpu, g.embed, idT);
  idT.release();
  if (!g.positions) return x;
  const pos = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) pos[i] = (i % shape.seqLen) + OPT_POSITION_OFFSET;
  const posT = gpu.upload(pos, [pos.length], 'position-ids');
  const p = embeddingGather(gpu, g.positions, posT);
  posT.release();
  const y = add(gpu, x, p);
  x.release();
  p.release();
  return y;
}

export function finalNorm(gpu: Gpu, cfg: ModelConfig, g: ModelGlobals, x: Tensor): { y: Tensor; rstd: Tensor; mean?: Tensor } {
  return cfg.arch === 'opt' ? layerNorm(gpu, x, g.finalNorm.weight, g.finalNorm.bias!, cfg.normEps) : rmsNorm(gpu, x, g.finalNorm.weight, cfg.normEps);
}

export function lmHead(gpu: Gpu, g: ModelGlobals, h: Tensor): Tensor {
  return matmul(gpu, h, g.lmHead, { transB: true });
}

/** Runs the blocks over x (consumed), returning the final hidden states before the final norm. */
export async function runBlocks(gpu: Gpu, cfg: ModelConfig, blocks: BlockProvider, x: Tensor, shape: BatchShape): Promise<Tensor> {
  let h = x;
  for (let i = 0; i < cfg.layers; i++) {
    const w = await blocks.get(i);
    const { y } = blockForward(gpu, cfg, w, h, shape);
    h.release();
    h = y;
    blocks.done(i);
  }
  return h;
}

/** Logits [T, V] for token ids laid out as `batch` sequences of `seqLen`. */
export async function forwardLogits(gpu: Gpu, cfg: ModelConfig, g: ModelGlobals, blocks: BlockProvider, ids: Uint32Array, shape: BatchShape): Promise<Tensor> {
  const x = embedTokens(gpu, g, ids, shape);
  const h = await runBlocks(gpu, cfg, blocks, x, shape);
  const logits = logitsOf(gpu, cfg, g, h);
  h.release();
  return logits;
}

/** Logits [T, V] of the last block's hidden states h (not consumed): final norm, then the LM head. */
export function logitsOf(gpu: Gpu, cfg: ModelConfig, g: ModelGlobals, h: Tensor): Tensor {
  const n = finalNorm(gpu, cfg, g, h);
  n.rstd.release();
  n.mean?.release();
  const logits = lmHead(gpu, g, n.y);
  n.y.release();
  return logits;
}
