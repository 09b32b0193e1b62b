// Which of a block's products the precision policy converts, at stories260K's shapes with `--f16 all`
// (policy threshold 0), on a fake device that offers the tensor cores: a training step's forward and
// backward on the tensor cores, a calibration chain's forward (chainForward) all f32.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { setHalfLinears } from '../ops/precision';
import { blockBackward, blockForward, releaseActivations } from '../model/block';
import { placeholderBlock } from '../model/testing/placeholder-block';
import { parseHfConfig } from '../formats/hf-config';
import { chainForward } from './chains';

/** stories260K's committed config: dim 64, 8 heads of 8, 4 kv heads, MLP 172. */
const STORIES = parseHfConfig(JSON.parse(readFileSync('public/models/stories260K-hf/config.json', 'utf8')), 'config.json', 'stories260K');

describe('the precision policy at stories260K shapes (--f16 all)', () => {
  it("keeps a training step's Linear products on the tensor cores and a calibration chain's forward in f32", () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, true);
    expect(setHalfLinears(gpu, true, 0)).toBe(true);
    const w = placeholderBlock(gpu, STORIES);
    const products = () => {
      gpu.flush();
      const names = calls.dispatches.map((d) => d.pipeline.split('|')[0]);
      calls.dispatches.length = 0;
      return {
        f16: names.filter((n) => n === 'matmul-subgroup.wgsl').length,
        // (how many conversions a product needs depends on what linearMatmul caches: only none or some)
        casts: Math.min(1, names.filter((n) => n === 'cast-f16.wgsl').length),
        f32: names.filter((n) => n === 'matmul.wgsl').length,
      };
    };
    // a TEQ LM step's shape: one 512-token window
    const shape = { batch: 1, seqLen: 512 };
    const x = gpu.tensor([512, STORIES.hidden]);
    const { y, acts } = blockForward(gpu, STORIES, w, x, shape, true);
    const g = blockBackward(gpu, STORIES, w, acts!, gpu.tensor([512, STORIES.hidden]), shape);
    // 7 forward products, 7 weight gradients dyᵀ·x, 7 input gradients dy·W (k and v accumulate into q's)
    expect(products()).toEqual({ f16: 21, casts: 1, f32: 0 });
    [y, g.dx, ...Object.values(g.dW)].forEach((t) => t?.release());
    releaseActivations(acts!);
    // the same block over calibration windows, as the next block's input or a target
    chainForward(gpu, STORIES, w, gpu.tensor([4 * 512, STORIES.hidden]), { batch: 4, seqLen: 512 }).release();
    expect(products()).toEqual({ f16: 0, casts: 0, f32: 7 });
    blockForward(gpu, STORIES, w, x, shape).y.release();
    expect(products()).toEqual({ f16: 7, casts: 1, f32: 0 });
    setHalfLinears(gpu, false);
  });
});
