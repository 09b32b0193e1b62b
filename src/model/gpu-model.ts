// A model on the GPU: embeddings, blocks and the head. Blocks come from a provider, so the same
// forward runs the full-precision model (weights streamed or resident) and quantized models
// (weights dequantized from stored codes).
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { hasFinalNorm, type ModelConfig, type WeightSource } from '../core/model-config';
import { globalNames } from '../core/tensor-names';
import { loadBlockWeights, releaseBlockWeights, type BlockWeights, type NormWeights } from './block-weights';
import { blockForward, type BatchShape } from './block';
import { gatherShards, lmHeadBackwardShards, lmHeadShards, vocabShards, type VocabShard } from './vocab-shards';
import { embeddingGather } from '../ops/embedding';
import { add } from '../ops/elementwise';
import { matmul } from '../ops/matmul';
import { rmsNorm, layerNorm } from '../ops/norm';
import { normBackwardDx } from '../ops/norm-dx';

/** Hands out one block's weights at a time; done() lets a streaming provider free them. */
export interface BlockProvider {
  get(index: number): Promise<BlockWeights>;
  done(index: number): void;
}

/**
 * Keeps each block's weights from its first get() until done(i) (streaming) or release()
 * (resident providers keep them all run long); subclasses say how a block is loaded.
 */
export abstract class CachedBlocks implements BlockProvider {
  private cache = new Map<number, BlockWeights>();
  constructor(private resident: boolean) {}
  protected abstract load(i: number): Promise<BlockWeights>;
  async get(i: number): Promise<BlockWeights> {
    let b = this.cache.get(i);
    if (!b) {
      b = await this.load(i);
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

/** Full-precision blocks from a weight source, either all resident or streamed one at a time. */
export class SourceBlocks extends CachedBlocks {
  constructor(
    private gpu: Gpu,
    private src: WeightSource,
    resident: boolean,
  ) {
    super(resident);
  }
  protected load(i: number): Promise<BlockWeights> {
    return loadBlockWeights(this.gpu, this.src, i);
  }
}

export interface ModelGlobals {
  embed: Tensor;
  /** The embedding's and the LM head's rows in ranges that each fit a storage binding (one range
   *  unless the table is larger: model/vocab-shards.ts); every use of either goes through them. */
  shards: VocabShard[];
  positions?: Tensor;
  /** Absent in post-norm OPT (its blocks' outputs are normalised already). */
  finalNorm?: NormWeights;
  lmHead: Tensor;
  /** OPT's projections where the embedding is narrower than the blocks (ModelConfig.embedDim): [hidden, embedDim] and [embedDim, hidden]. */
  projectIn?: Tensor;
  projectOut?: Tensor;
}

/** `maxShardBytes`: the most bytes of the embedding one range binds (the device's binding limit; smaller in tests). */
export async function loadGlobals(gpu: Gpu, src: WeightSource, maxShardBytes = gpu.device.limits.maxStorageBufferBindingSize): Promise<ModelGlobals> {
  const names = globalNames(src.config.arch);
  const up = async (n: string, overBinding = false) =>
    gpu.upload(
      await src.get(n),
      src.shapes.get(n) ??
        (() => {
          throw new Error(`missing tensor ${n}`);
        })(),
      n,
      overBinding,
    );
  const cfg = src.config;
  // a table over one binding is only ever bound as ranges of rows
  const tableBytes = cfg.vocab * (cfg.embedDim ?? cfg.hidden) * 4;
  const embed = await up(names.embed, tableBytes > maxShardBytes);
  const lmHead = cfg.tiedEmbeddings ? embed : await up(names.lmHead, tableBytes > maxShardBytes);
  return {
    embed,
    shards: vocabShards(gpu, embed, lmHead, maxShardBytes),
    positions: names.positions ? await up(names.positions) : undefined,
    finalNorm: !hasFinalNorm(cfg)
      ? undefined
      : {
          weight: await up(`${names.finalNorm}.weight`),
          bias: cfg.arch === 'opt' ? await up(`${names.finalNorm}.bias`) : undefined,
        },
    lmHead,
    ...(cfg.embedDim !== undefined ? { projectIn: await up(names.projectIn!), projectOut: await up(names.projectOut!) } : {}),
  };
}

/** Frees what loadGlobals uploaded (a tied LM head is the embedding, freed once). */
export function releaseGlobals(g: ModelGlobals): void {
  g.embed.release();
  if (g.lmHead !== g.embed) g.lmHead.release();
  g.positions?.release();
  g.finalNorm?.weight.release();
  g.finalNorm?.bias?.release();
  g.projectIn?.release();
  g.projectOut?.release();
}

/** OPT's learned positions are offset by 2 (a fairseq legacy); positions restart every sequence. */
export const OPT_POSITION_OFFSET = 2;

export function embedTokens(gpu: Gpu, g: ModelGlobals, ids: Uint32Array, shape: BatchShape): Tensor {
  const idT = gpu.upload(ids, [ids.length], 'token-ids');
  let x = gatherShards(gpu, g.shards, idT);
  idT.release();
  if (g.projectIn) {
    // OPT's narrower embedding to the blocks' width (bias-free)
    const wide = matmul(gpu, x, g.projectIn, { transB: true });
    x.release();
    x = wide;
  }
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

function finalNorm(gpu: Gpu, cfg: ModelConfig, n: NormWeights, x: Tensor): { y: Tensor; rstd: Tensor; mean?: Tensor } {
  return cfg.arch === 'opt' ? layerNorm(gpu, x, n.weight, n.bias!, cfg.normEps) : rmsNorm(gpu, x, n.weight, cfg.normEps);
}

/** What the LM head reads (y) from the last block's output, and what its backward needs. */
export interface HeadInput {
  y: Tensor;
  /** The final norm's output and statistics (absent in post-norm OPT). */
  norm?: { y: Tensor; rstd: Tensor; mean?: Tensor };
}

/** The LM head's input from the last block's output h (not consumed): the final norm where there is one, then OPT's project_out where the embedding is narrower. */
export function headInput(gpu: Gpu, cfg: ModelConfig, g: ModelGlobals, h: Tensor): HeadInput {
  const norm = g.finalNorm ? finalNorm(gpu, cfg, g.finalNorm, h) : undefined;
  const z = norm ? norm.y : h;
  if (!g.projectOut) return { y: norm ? norm.y : h.borrow(), norm };
  return { y: matmul(gpu, z, g.projectOut, { transB: true }), norm };
}

/** d loss / d h from d loss / d (the head's input) dy (consumed): back through project_out and the final norm. */
export function headInputBackward(gpu: Gpu, g: ModelGlobals, h: Tensor, saved: HeadInput, dy: Tensor): Tensor {
  let d = dy;
  if (g.projectOut) {
    d = matmul(gpu, dy, g.projectOut);
    dy.release();
  }
  if (!g.finalNorm || !saved.norm) return d;
  const dh = normBackwardDx(gpu, d, h, g.finalNorm.weight, saved.norm.rstd, { mean: saved.norm.mean });
  d.release();
  return dh;
}

export function releaseHeadInput(s: HeadInput): void {
  const n = s.norm;
  if (n && n.y !== s.y) n.y.release();
  s.y.release();
  n?.rstd.release();
  n?.mean?.release();
}

export function lmHead(gpu: Gpu, g: ModelGlobals, h: Tensor): Tensor {
  return lmHeadShards(gpu, g.shards, h);
}

/** d loss / d (the LM head's input) from d loss / d logits (not consumed). */
export function lmHeadBackward(gpu: Gpu, g: ModelGlobals, dlogits: Tensor): Tensor {
  return lmHeadBackwardShards(gpu, g.shards, dlogits);
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

/** Logits [T, V] of the last block's hidden states h (not consumed): final norm (and project_out), then the LM head. */
export function logitsOf(gpu: Gpu, cfg: ModelConfig, g: ModelGlobals, h: Tensor): Tensor {
  const hi = headInput(gpu, cfg, g, h);
  const logits = lmHead(gpu, g, hi.y);
  releaseHeadInput(hi);
  return logits;
}
