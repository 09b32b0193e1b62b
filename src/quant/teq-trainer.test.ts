// TeqTrainer.refresh on a fake device (nothing runs; the dispatches are what is checked): under the
// precision policy its effective weights come with their f16 copies, in one pass per α group where
// the device binds enough storage buffers and in parts of the group where it does not; the
// products of a step then convert none of them. The values are test:device's business.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock } from '../model/testing/placeholder-block';
import { linearOf } from '../model/block-weights';
import { blockForward } from '../model/block';
import { teqBlocksStep } from './testing/teq-blocks-step';
import { TeqTrainer } from './teq-trainer';
import { spanRows } from '../gpu/tensor';

const smol = parseHfConfig(RANDOM_SHAPES['smollm2-135m'], 'config.json', 'random:smollm2-135m');
const spec = { bits: 4, groupSize: 32, symmetric: false };

function setup(maxStorageBuffersPerShaderStage: number) {
  const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024, maxStorageBuffersPerShaderStage }, true);
  setHalfLinears(gpu, true);
  const w = placeholderBlock(gpu, smol);
  const trainer = new TeqTrainer(gpu, smol, [w], spec);
  /** The effective-weight passes of one refresh: members per pass, and whether it wrote copies. */
  const refresh = (tokens: number) => {
    const before = calls.dispatches.length;
    trainer.refresh(tokens);
    return calls.dispatches
      .slice(before)
      .filter((d) => d.pipeline.startsWith('teq-effective'))
      .map((d) => `${/M3=true/.test(d.pipeline) ? 3 : /M2=true/.test(d.pipeline) ? 2 : 1}${/HALF_OUT=true/.test(d.pipeline) ? ' +f16' : ''}`);
  };
  const casts = () => calls.dispatches.filter((d) => d.pipeline.startsWith('cast-f16')).length;
  return { gpu, trainer, refresh, casts };
}

describe('TeqTrainer.refresh', () => {
  // SmolLM2-135M (grouped-query attention): α groups q/k/v (3 members), gate/up (2), down (1); o has none
  it('writes the copies in one pass per group where 11 storage buffers bind', () => {
    const { refresh } = setup(16);
    expect(refresh(512)).toEqual(['3 +f16', '2 +f16', '1 +f16']);
  });

  it('splits a group whose pass with copies binds more than the device allows (8: two members a pass)', () => {
    const { refresh } = setup(8);
    expect(refresh(512)).toEqual(['2 +f16', '1 +f16', '2 +f16', '1 +f16']);
  });

  it('writes no copies for scores (no tokens) nor for products under the threshold', () => {
    const { refresh } = setup(16);
    expect(refresh(0)).toEqual(['3', '2', '1']);
    // 16 tokens: 2·16·576·576 FLOP is under 2^26
    expect(refresh(16)).toEqual(['3', '2', '1']);
  });

  it("a step's forward converts only the weight outside every group (o)", () => {
    const { gpu, trainer, refresh, casts } = setup(8);
    refresh(512);
    const before = casts();
    const x = gpu.tensor([512, smol.hidden]);
    blockForward(gpu, smol, trainer.effectiveBlock(0), x, { batch: 1, seqLen: 512 });
    // the first forward also converts o's fixed effective weight; its input and the others come from producers
    expect(casts() - before).toBe(1);
    // q, k and v (and gate and up) lie side by side: one copy of each stacked weight
    const eff = trainer.effectiveBlock(0);
    for (const roles of [
      ['q', 'k', 'v'],
      ['gate', 'up'],
    ] as const) {
      const stacked = spanRows(roles.map((r) => linearOf(eff, r).weight));
      expect(stacked && gpu.copies.get(stacked, 'f16')).toBeDefined();
    }
  });

  it('steps after the first create no bind group: the weights f16 copies are written to the same buffers every step', () => {
    // (pooled copies came back as other buffers, and every product reading them missed its bind group: 363 a step)
    const { gpu } = setup(16);
    const w = [placeholderBlock(gpu, smol, 0), placeholderBlock(gpu, smol, 1)];
    const trainer = new TeqTrainer(gpu, smol, w, spec);
    const shape = { batch: 1, seqLen: 512 };
    const step = (n: number) => teqBlocksStep(gpu, smol, trainer, w.length, shape, n);
    for (let n = 1; n <= 3; n++) step(n);
    const before = gpu.bindGroupCount;
    step(4);
    step(5);
    expect(gpu.bindGroupCount - before).toBe(0);
  });
});
