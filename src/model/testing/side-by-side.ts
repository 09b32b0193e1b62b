// Tests: a block's weights of SIDE_BY_SIDE_ROLES moved into one buffer side by side (as TEQ's trainer
// keeps its effective weights), so that the block runs their products as one.
import type { Gpu } from '../../gpu/gpu';
import { rowsSplittable } from '../../gpu/tensor';
import { SIDE_BY_SIDE_ROLES, type BlockWeights } from '../block-weights';

/** Copies each side-by-side set of w's weights into one buffer (releasing the old tensors); false where none could be. */
export function stackSideBySide(gpu: Gpu, w: BlockWeights): boolean {
  let any = false;
  for (const roles of SIDE_BY_SIDE_ROLES) {
    const ls = roles.map((r) => w.linears[r]);
    if (ls.some((l) => !l || l.bias)) continue;
    const rows = ls.map((l) => l!.weight.shape[0]);
    const shape = [rows.reduce((a, r) => a + r, 0), ls[0]!.weight.shape[1]];
    if (!rowsSplittable(gpu, shape, 'f32', rows)) continue;
    const parts = gpu.tensor(shape, 'f32', roles.join('+')).splitRows(rows);
    ls.forEach((l, i) => {
      gpu.copy(l!.weight, parts[i]);
      l!.weight.release();
      l!.weight = parts[i];
    });
    any = true;
  }
  return any;
}
