// TesseraQ's state at a round boundary, read from and written back to the GPU, so a long block can
// be checkpointed after a hardening round and continued bit for bit. Adam starts fresh every round,
// so the state is the rounding logits v, the scale logits u and the hard/soft masks of every Linear,
// plus what the block report needs (the hard-fraction counts and the finished rounds' losses).
// The frozen s, z and the initialised weights are recomputed: the initialisation is deterministic.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { TqLinear } from '../ops/tesseraq';
import type { LinearRole } from '../core/tensor-names';
import { packCodes, unpackCodes } from './pack';

/** Masks are 0 soft, 1 hard down, 2 hard up: two bits each in the checkpoint. */
const MASK_BITS = 2;

export interface TqRoundState {
  /** Hardening rounds finished. */
  rounds: number;
  /** `v.<role>`, `u.<role>`, packed `state.<role>` per Linear, `stats` (hard counts) and `losses` (per step). */
  tensors: Record<string, Float32Array | Uint32Array>;
  /** The batch sampler's state (SeekableRandom). */
  rng: number;
}

export async function readRoundState(tq: Map<LinearRole, TqLinear>, stats: Tensor, rounds: number, losses: number[], rng: number): Promise<TqRoundState> {
  const tensors: TqRoundState['tensors'] = {};
  for (const [role, L] of tq) {
    tensors[`v.${role}`] = await L.v.readF32();
    tensors[`u.${role}`] = await L.u.readF32();
    tensors[`state.${role}`] = packCodes((await L.state.read()) as Uint32Array, MASK_BITS);
  }
  tensors.stats = ((await stats.read()) as Uint32Array).slice();
  tensors.losses = Float32Array.from(losses);
  return { rounds, tensors, rng };
}

/** Overwrites freshly initialised TqLinears and the stats buffer with a stored state; checks every length. */
export function writeRoundState(gpu: Gpu, tq: Map<LinearRole, TqLinear>, stats: Tensor, s: TqRoundState): void {
  const get = <T extends Float32Array | Uint32Array>(name: string, type: new (n: number) => T, size: number): T => {
    const t = s.tensors[name];
    if (!(t instanceof type) || t.length !== size)
      throw new Error(`TesseraQ checkpoint: ${name} has ${t?.length ?? 'no'} values, expected ${size} of ${type.name}`);
    return t;
  };
  for (const [role, L] of tq) {
    const n = L.rows * L.cols;
    gpu.write(L.v, get(`v.${role}`, Float32Array, n));
    gpu.write(L.u, get(`u.${role}`, Float32Array, L.rows * L.nGroups));
    gpu.write(L.state, Uint32Array.from(unpackCodes(get(`state.${role}`, Uint32Array, Math.ceil((n * MASK_BITS) / 32)), MASK_BITS, n)));
  }
  gpu.write(stats, get('stats', Uint32Array, stats.size));
}
