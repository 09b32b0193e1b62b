import { describe, expect, it } from 'vitest';
import { expectedShapes, parseHfConfig } from '../../formats/hf-config';
import { RANDOM_SHAPES } from '../../formats/random-model';
import { blockParams } from '../../engine/memory-plan';
import { teqChunks } from '../../ops/teq';
import { teqGroups } from '../../quant/teq-groups';
import { linearName } from '../../core/tensor-names';
import type { MemoryInputs } from '../types';
import { teqPartials } from '.';

describe("TEQ's memory: the trainer's column sums a chunk", () => {
  it('plans at least what the trainer allocates for a block (teqChunks over each group), and well under the weights', () => {
    for (const shape of ['smollm2-135m', 'phi4-mini', 'tiny-opt']) {
      const cfg = parseHfConfig(RANDOM_SHAPES[shape], 'config.json', `random:${shape}`);
      const blockBytes = blockParams(cfg) * 4;
      const planned = teqPartials({ cfg, blockBytes } as MemoryInputs).bytes;
      const shapes = expectedShapes(cfg);
      for (const groupSize of [32, 128, 0]) {
        const spec = { bits: 4, groupSize, symmetric: false };
        const allocated = teqGroups(cfg).reduce((a, g) => {
          const rows = g.members.reduce((n, r) => n + shapes.get(`${linearName(cfg.arch, 0, r)}.weight`)![0], 0);
          return a + teqChunks(rows, spec, g.size) * g.size * 4;
        }, 0);
        expect(allocated, `${shape} g${groupSize}`).toBeLessThanOrEqual(planned);
      }
      expect(planned, shape).toBeLessThan(blockBytes / 8);
    }
  });
});
