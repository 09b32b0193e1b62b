import { afterAll, describe, expect, it } from 'vitest';
import { ParallelDraw } from './parallel-draw';
import { randomTensor } from '../formats/random-model';

describe('random weights drawn in worker threads', () => {
  const pd = new ParallelDraw(3);
  afterAll(() => pd.close());
  it('gives the one-thread values bit for bit (odd sizes, ranges split mid-tensor, norms)', async () => {
    for (const [name, shape, seed] of [
      ['model.layers.2.mlp.down_proj.weight', [1025, 1031], 0], // odd count: the last pair has one value
      ['model.layers.0.post_attention_layernorm.weight', [1 << 20], 9],
    ] as const) {
      const got = await pd.draw(name, [...shape], seed);
      const want = randomTensor(name, [...shape], seed);
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });
});
