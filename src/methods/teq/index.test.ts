import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../formats/hf-config';
import { RANDOM_SHAPES } from '../../formats/random-model';
import { blockParams } from '../../engine/memory-plan';
import { teqChunks } from '../../ops/teq';
import { teqGroups } from '../../quant/teq-groups';
import type { ModelConfig } from '../../core/model-config';
import type { LinearRole } from '../../core/tensor-names';
import type { MemoryInputs } from '../types';
import { teqPartials } from '.';

/** Output rows of each Linear role (its weight is [rows, input columns]). */
function rowsOf(cfg: ModelConfig, role: LinearRole): number {
  const q = cfg.heads * cfg.headDim,
    kv = cfg.kvHeads * cfg.headDim;
  const rows: Partial<Record<LinearRole, number>> = { q, k: kv, v: kv, o: cfg.hidden, gate: cfg.intermediate, up: cfg.intermediate, down: cfg.hidden };
  return rows[role] ?? (role === 'fc1' ? cfg.intermediate : cfg.hidden);
}

describe("TEQ's memory: the trainer's column sums a chunk", () => {
  it('plans at least what the trainer allocates for a block (teqChunks over each group), and well under the weights', () => {
    for (const shape of ['smollm2-135m', 'phi4-mini', 'tiny-opt']) {
      const cfg = parseHfConfig(RANDOM_SHAPES[shape], 'config.json', `random:${shape}`);
      const blockBytes = blockParams(cfg) * 4;
      const planned = teqPartials({ cfg, blockBytes } as MemoryInputs).bytes;
      for (const groupSize of [32, 128, 0]) {
        const spec = { bits: 4, groupSize, symmetric: false };
        const allocated = teqGroups(cfg).reduce((a, g) => {
          const rows = g.members.reduce((n, r) => n + rowsOf(cfg, r), 0);
          return a + teqChunks(rows, spec, g.size) * g.size * 4;
        }, 0);
        expect(allocated, `${shape} g${groupSize}`).toBeLessThanOrEqual(planned);
      }
      expect(planned, shape).toBeLessThan(blockBytes / 8);
    }
  });
});
