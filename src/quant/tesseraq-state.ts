// TesseraQ's state at a round boundary, read from and written back to the GPU, so a long block can
// be checkpointed after a hardening round and continued bit for bit. Adam starts fresh every round,
// so the state is the rounding logits v, the scale logits u and the hard/soft masks of every Linear,
// plus what the block report needs (the hard-fraction counts and the finished rounds' losses).
// The frozen s, z and the initialised weights are recomputed: the initialisation is deterministic.
import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { TqLinear } from '../ops/tesseraq';
import type { LinearRole } from '../model/tensor-names';

export interface TqRoundState {
  /** Hardening rounds finished. */
  rounds: number;
  /** `v.<role>`, `u.<role>`, `state.<role>` per Linear, `stats` (hard counts) and `losses` (per step). */
  tensors: Record<string, Float32Array>;
  /** The batch sampler's state (SeekableRandom). */
  rng: number;
}

export async function readRoundState(tq: Map<LinearRole, TqLinear>, stats: Tensor, rounds: number, losses: number[], rng: number): Promise<TqRoundState> {
  const tensors: Record<string, Float32Array> = {};
  for (const [role, L] of tq) {
    tensors[`v.${role}`] = await L.v.readF32();
    tensors[`u.${role}`] = await L.u.readF32();
    // Masks are 0, 1, 2: exact as floats (checkpoints hold f32 arrays).
    tensors[`state.${role}`] = Float32Array.from((await L.state.read()) as Uint32Array);
  }
  tensors.stats = Float32Array.from((await stats.read()) as Uint32Array);
  tensors.losses = Float32Array.from(losses);
  return { rounds, tensors, rng };
}

/** Overwrites freshly initialised TqLinears and the stats buffer with a stored state; checks every length. */
export function writeRoundState(gpu: Gpu, tq: Map<LinearRole, TqLinear>, stats: Tensor, s: TqRoundState): void {
  const get = (name: string, size: number): Float32Array => {
    const t = s.tensors[name];
    if (!t || t.length !== size) throw new Error(`TesseraQ checkpoint: ${name} has ${t?.length ?? 'no'} values, expected ${size}`);
    return t;
  };
  for (const [role, L] of tq) {
    gpu.write(L.v, get(`v.${role}`, L.rows * L.cols));
    gpu.write(L.u, get(`u.${role}`, L.rows * L.nGroups));
    gpu.write(L.state, Uint32Array.from(get(`state.${role}`, L.rows * L.cols)));
  }
  gpu.write(stats, Uint32Array.from(get('stats', stats.size)));
}
