// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { embeddingBackward, embeddingGather } from './embedding';
import { embeddingBackwardRef, embeddingGatherRef } from '../reference/embedding';
import { mulberry32, randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

/** Token ids with many repeats (small effective vocabulary) and a few padding ids. */
function makeIds(tokens: number, vocab: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  const ids = new Uint32Array(tokens);
  for (let t = 0; t < tokens; t++) ids[t] = r() < 0.05 ? 0xffffffff : Math.floor(r() * r() * vocab);
  return ids;
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'gather on odd shapes with padding ids'(gpu) {
    for (const [v, c, t] of [
      [1, 1, 1],
      [50, 37, 300],
      [7, 300, 9],
    ]) {
      const table = randn(v * c, v + c),
        ids = makeIds(t, v, t);
      const out = embeddingGather(gpu, gpu.upload(table, [v, c]), gpu.upload(ids, [t]));
      assertClose(`gather v=${v} c=${c} t=${t}`, await out.readF32(), embeddingGatherRef(table, v, c, ids), 0);
    }
  },
  async 'backward with repeated ids across chunks, padding, and accumulate'(gpu) {
    // 520 tokens = three 256-id chunks; ids repeat within and across chunks.
    for (const [v, c, t] of [
      [1, 1, 1],
      [50, 37, 520],
      [300, 5, 260],
      [6, 300, 40],
    ]) {
      const dy = randn(t * c, 3 * t + c),
        ids = makeIds(t, v, c);
      const tIds = gpu.upload(ids, [t]);
      const got = embeddingBackward(gpu, gpu.upload(dy, [t, c]), tIds, v);
      const want = embeddingBackwardRef(dy, ids, v, c);
      const absWant = embeddingBackwardRef(dy.map(Math.abs), ids, v, c);
      const floor = absWant.reduce((m, x) => Math.max(m, x), 0);
      assertClose(`backward v=${v} c=${c} t=${t}`, await got.readF32(), want, 1e-6, floor);
      // Accumulate on top of the first result: twice the gradient.
      embeddingBackward(gpu, gpu.upload(dy, [t, c]), tIds, v, { out: got, accumulate: true });
      assertClose(
        `backward accumulate v=${v}`,
        await got.readF32(),
        want.map((x) => 2 * x),
        1e-6,
        2 * floor,
      );
    }
  },
};
