// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
// An embedding over one storage binding, bound as ranges of rows (model/vocab-shards.ts): the ranges
// forced small here (tiny-llama's 300 x 32 table in ranges of 64 rows, the last 44) so that CI's
// SwiftShader runs them. The gather (padding ids included), the logits and the LM head's backward
// against the float64 oracle, and against the same model in one range.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { forwardLogits, lmHeadBackward, loadGlobals, releaseGlobals, SourceBlocks } from './gpu-model';
import { gatherShards, shardRows } from './vocab-shards';
import { copyColumns } from '../ops/columns';
import { forwardRef } from '../reference/model';
import { embeddingGatherRef } from '../reference/embedding';
import { assertClose } from '../reference/compare';
import { mulberry32, randn } from '../reference/rng';

const RANGE_BYTES = 64 * 32 * 4;

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'copyColumns: a block of columns into and out of a wider matrix'(gpu) {
    const src = randn(5 * 7, 3);
    const dst = new Float32Array(5 * 11).fill(-1);
    const got = await copyColumns(gpu, gpu.upload(src, [5, 7]), gpu.upload(dst, [5, 11]), { srcCol: 2, dstCol: 6, cols: 4 }).readF32();
    const want = Float64Array.from(dst);
    for (let r = 0; r < 5; r++) for (let c = 0; c < 4; c++) want[r * 11 + 6 + c] = src[r * 7 + 2 + c];
    assertClose('copyColumns', got, want, 0);
  },

  async 'ranges of 64 rows: the gather with padding ids, the logits and the head backward'(gpu) {
    const m = randomModel('tiny-llama', 3);
    const cfg = m.weights.config;
    if (shardRows(cfg.vocab, cfg.hidden * 4, RANGE_BYTES, gpu.device.limits.minStorageBufferOffsetAlignment ?? 256) !== 64)
      throw new Error('expected ranges of 64 rows');
    const g = await loadGlobals(gpu, m.weights, RANGE_BYTES);
    const one = await loadGlobals(gpu, m.weights);
    if (g.shards.length !== Math.ceil(cfg.vocab / 64) || one.shards.length !== 1) throw new Error(`ranges: ${g.shards.length} and ${one.shards.length}`);
    const table = await m.weights.get('model.embed_tokens.weight');
    // every range's ids, and padding
    const r = mulberry32(9);
    const ids = Uint32Array.from({ length: 40 }, (_, i) => (i % 13 === 5 ? 0xffffffff : Math.floor(r() * cfg.vocab)));
    const x = gatherShards(gpu, g.shards, gpu.upload(ids, [ids.length]));
    assertClose('gather over ranges', await x.readF32(), embeddingGatherRef(table, cfg.vocab, cfg.hidden, ids), 0);
    // logits: the float64 oracle, and bit for bit the model in one range (each logit one dot product)
    const seq = Uint32Array.from({ length: 2 * 9 }, () => Math.floor(r() * cfg.vocab));
    const w = new Map<string, Float32Array>();
    for (const n of m.weights.shapes.keys()) w.set(n, await m.weights.get(n));
    const logits = async (globals: typeof g) => {
      const blocks = new SourceBlocks(gpu, m.weights, true);
      const out = await forwardLogits(gpu, cfg, globals, blocks, seq, { batch: 2, seqLen: 9 });
      blocks.release();
      return out;
    };
    const split = await logits(g);
    assertClose(
      'logits over ranges',
      await split.readF32(),
      forwardRef(cfg, (n) => w.get(n)!, seq, 2, 9),
      1e-4,
    );
    assertClose('logits: ranges against one', await split.readF32(), await (await logits(one)).readF32(), 1e-6);
    // backward: dlogits · head summed over the ranges (tiny-llama's head is its own, untied)
    const head = await m.weights.get(cfg.tiedEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
    const tokens = 6;
    const dlogits = randn(tokens * cfg.vocab, 4);
    const want = new Float64Array(tokens * cfg.hidden);
    for (let t = 0; t < tokens; t++)
      for (let v = 0; v < cfg.vocab; v++)
        for (let c = 0; c < cfg.hidden; c++) want[t * cfg.hidden + c] += dlogits[t * cfg.vocab + v] * head[v * cfg.hidden + c];
    const dT = gpu.upload(dlogits, [tokens, cfg.vocab]);
    assertClose('head backward over ranges', await lmHeadBackward(gpu, g, dT).readF32(), want, 1e-5);
    releaseGlobals(g);
    releaseGlobals(one);
  },
};
