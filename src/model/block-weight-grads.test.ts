// blockBackward computes only the weight gradients asked for (TEQ asks for the Linears its scales
// reach: at SmolLM2-135M's grouped-query attention not o): the same input gradient, the other
// gradients absent, and exactly the product of each skipped gradient fewer (fake device: counted,
// not run).
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { linearMatmul, setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock } from './testing/placeholder-block';
import { blockBackward, blockForward, releaseActivations } from './block';
import type { LinearRole } from '../core/tensor-names';

const smol = parseHfConfig(RANDOM_SHAPES['smollm2-135m'], 'config.json', 'random:smollm2-135m');
const shape = { batch: 1, seqLen: 512 };

describe('blockBackward weight gradients on request', () => {
  for (const half of [false, true]) {
    it(`${half ? 'tensor-core policy' : 'f32'}: a role list skips the others' products`, () => {
      const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024 }, half);
      setHalfLinears(gpu, half);
      const w = placeholderBlock(gpu, smol);
      const run = (grads: boolean | LinearRole[]) => {
        const x = gpu.tensor([shape.seqLen, smol.hidden]);
        const { y, acts } = blockForward(gpu, smol, w, x, shape, true);
        const dy = gpu.tensor(y.shape);
        const before = calls.dispatches.length;
        const g = blockBackward(gpu, smol, w, acts!, dy, shape, grads);
        const count = calls.dispatches.length - before;
        const roles = Object.keys(g.dW).sort();
        // the o gradient alone, on the same operand shapes
        const o = linearMatmul(gpu, gpu.tensor([shape.seqLen, smol.hidden]), 'o.dout', gpu.tensor([shape.seqLen, smol.heads * smol.headDim]), 'o.in', {
          transA: true,
        });
        // (its operands are fresh tensors here, so their f16 conversions are not counted: in the block they are shared)
        const oProduct = calls.dispatches.slice(before + count).filter((d) => !d.pipeline.startsWith('cast-f16')).length;
        releaseActivations(acts!, true);
        for (const t of [y, dy, g.dx, o, ...Object.values(g.dW)]) t!.release();
        return { count, roles, oProduct };
      };
      const all = run(true);
      const teq = run(['q', 'k', 'v', 'gate', 'up', 'down']);
      const none = run(false);
      expect(all.roles).toEqual(['down', 'gate', 'k', 'o', 'q', 'up', 'v']);
      expect(teq.roles).toEqual(['down', 'gate', 'k', 'q', 'up', 'v']);
      expect(none.roles).toEqual([]);
      expect(all.oProduct).toBeGreaterThan(0);
      expect(all.count - teq.count).toBe(all.oProduct);
    });
  }
});
