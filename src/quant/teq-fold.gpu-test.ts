// Folding TEQ's scales is an exact equivalence: with random positive α in every absorbable group
// (norm -> q,k,v; v -> o without GQA; norm -> gate,up / fc1; up -> down; fc1 -> fc2 through ReLU),
// the folded full-precision model's logits equal the original's within 1e-5 relative.
import type { Gpu } from '../gpu/gpu';
import { randomModel } from '../formats/random-model';
import { loadGlobals, forwardLogits, SourceBlocks, type BlockProvider } from '../model/gpu-model';
import { loadBlockWeights, type BlockWeights } from '../model/block-weights';
import { teqGroups } from './teq-groups';
import { foldGroup } from './teq-trainer';
import { randu, mulberry32 } from '../reference/rng';
import { assertClose } from '../reference/compare';

async function check(gpu: Gpu, shape: string) {
  const m = randomModel(shape, 4);
  const cfg = m.weights.config;
  const groups = teqGroups(cfg);
  const folded: BlockWeights[] = [];
  for (let b = 0; b < cfg.layers; b++) {
    const w = await loadBlockWeights(gpu, m.weights, b);
    groups.forEach((g, i) => {
      const alpha = gpu.upload(randu(g.size, 100 * b + i, 0.5, 2), [g.size], 'alpha');
      foldGroup(gpu, w, g, alpha); // what TEQ's trainer folds
      alpha.release();
    });
    folded.push(w);
  }
  const provider: BlockProvider = { get: async (i) => folded[i], done: () => {} };
  const g = await loadGlobals(gpu, m.weights);
  const r = mulberry32(3);
  const ids = Uint32Array.from({ length: 2 * 11 }, () => Math.floor(r() * cfg.vocab));
  const shape2 = { batch: 2, seqLen: 11 };
  const ref = await (await forwardLogits(gpu, cfg, g, new SourceBlocks(gpu, m.weights, true), ids, shape2)).readF32();
  const got = await (await forwardLogits(gpu, cfg, g, provider, ids, shape2)).readF32();
  assertClose(`${shape} folded logits (${groups.map((x) => x.name).join('; ')})`, got, ref, 1e-5);
}

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async "folding α is exact: LLaMA (GQA), LLaMA with every bias (v→o through v's, up→down through up's), Qwen2 (biases), Qwen3 (q/k norms), OPT (v→o, fc1→fc2 through ReLU), post-norm OPT (those two only)"(
    gpu,
  ) {
    for (const shape of ['tiny-llama', 'tiny-granite-code', 'tiny-qwen2', 'tiny-qwen3', 'tiny-opt', 'tiny-opt-350m']) await check(gpu, shape);
  },
};
