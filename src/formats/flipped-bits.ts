// A model's weights with the lowest mantissa bit of about half their values flipped: each value
// moves by one unit in the last place (at most 2^-23 of itself), far less than any rounding the
// engine does. For measuring how far a method's result moves under a last-bit change of its input
// alone (quality:half --control): what a comparison of two precisions cannot tell apart from chaos.
import type { WeightSource } from '../core/model-config';

/** A 32-bit hash of a tensor name (FNV-1a), so that each tensor gets its own pattern of flips. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Whether value i of a tensor is flipped: one bit of an integer mix of (seed, tensor, index). */
function flipped(key: number, i: number): boolean {
  let h = Math.imul(i ^ key, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h & 0x10000) !== 0;
}

/** The same weights with last bits flipped as drawn by `seed` (a positive integer); the same seed gives the same flips. */
export function flipLastBits(src: WeightSource, seed: number): WeightSource {
  if (!Number.isSafeInteger(seed) || seed <= 0) throw new Error(`flipLastBits: the seed must be a positive integer, not ${seed}`);
  return {
    config: src.config,
    shapes: src.shapes,
    async get(name: string): Promise<Float32Array> {
      const values = new Float32Array(await src.get(name));
      const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
      const key = Math.imul(nameHash(name), seed) ^ seed;
      for (let i = 0; i < bits.length; i++) {
        // finite values only: a flip of NaN or Inf's last bit could change what it is
        if ((bits[i] & 0x7f800000) !== 0x7f800000 && flipped(key, i)) bits[i] ^= 1;
      }
      return values;
    },
  };
}
