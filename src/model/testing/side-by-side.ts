// Tests: a block's weights of SIDE_BY_SIDE_ROLES moved into one buffer side by side (as TEQ's trainer
// keeps its effective weights), so that the block runs their products as one.
import type { Gpu } from '../../gpu/gpu';
import { sideBySideTensors, SIDE_BY_SIDE_ROLES, type BlockWeights } from '../block-weights';

/** Copies each side-by-side set of w's weights into one buffer (releasing the old tensors); false where none could be. */
export function stackSideBySide(gpu: Gpu, w: BlockWeights): boolean {
  let any = false;
  for (const roles of SIDE_BY_SIDE_ROLES) {
    const ls = roles.map((r) => w.linears[r]);
    if (ls.some((l) => !l || l.bias)) continue;
    const parts = sideBySideTensors(
      gpu,
      ls.map((l) => l!.weight.shape),
      roles,
    );
    if (!parts) continue;
    ls.forEach((l, i) => {
      gpu.copy(l!.weight, parts[i]);
      l!.weight.release();
      l!.weight = parts[i];
    });
    any = true;
  }
  return any;
}
