// TesseraQ's rounds on a fake device (nothing runs; what the engine asks of the device is checked):
// after its first round a block's steps create no bind group. Each step's soft weights come with
// new f16 copies from the pool (ops/precision.ts), and the products reading them find their bind
// groups cached only while the pool hands the same buffers back in turn; TEQ's trainer once missed
// 363 a step that way (src/quant/teq-trainer.test.ts).
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock } from '../model/testing/placeholder-block';
import { tesseraqBlock } from './tesseraq';

const smol = parseHfConfig(RANDOM_SHAPES['smollm2-135m'], 'config.json', 'random:smollm2-135m');

describe('tesseraqBlock', () => {
  it('creates no bind group after its first round (soft weights and their f16 copies)', async () => {
    const { gpu } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024, maxStorageBuffersPerShaderStage: 16 }, true);
    setHalfLinears(gpu, true, 0); // every product f16: the soft weights' copies are written every step
    const w = placeholderBlock(gpu, smol, 0);
    const shape = { batch: 8, seqLen: 128 };
    const xq = gpu.tensor([shape.batch * shape.seqLen, smol.hidden]);
    const yfp = gpu.tensor([shape.batch * shape.seqLen, smol.hidden]);
    let copies = 0;
    const opts = { iters: 4, schedule: [0.3, 0.5, 0.7, 0.9], batch: 4, lr: 1e-3, scaleLr: 1e-3, scaleWeightDecay: 1e-4, seed: 0 };
    const start = gpu.bindGroupCount;
    /** Bind groups created by the end of each round's steps (each round's hardening comes before its steps). */
    const created: number[] = [];
    const res = await tesseraqBlock(gpu, smol, w, xq, yfp, shape, { bits: 4, groupSize: 32, symmetric: false }, opts, {
      onIteration: (r, i) => {
        copies = Math.max(copies, gpu.copies.size);
        if (i === opts.iters - 1) created[r] = gpu.bindGroupCount - start;
      },
    });
    expect(copies).toBeGreaterThan(0); // the policy did keep f16 copies
    expect(created[0]).toBeGreaterThan(0);
    expect(created).toEqual([created[0], created[0], created[0], created[0]]);
    res.y.release();
  });
});
