// The f16 overflow guard of every kernel that writes f16 matmul operands. The including kernel
// enables f16 and declares `overflow: array<atomic<u32>>` (the policy's counters, one per operand
// class): the caller reads the count and keeps that class in f32.
const F16_MAX = 65504.0;
// the midpoint between 65504 and the next f16 step (65536): values at or past it round to Inf
const F16_ROUNDS_TO_INF = 65520.0;

// f16(x), clamped to ±65504 (never Inf); a value that would round past that, or is not finite, is
// counted in overflow[slot].
fn f16Counted(x: f32, slot: u32) -> f16 {
  // !(|x| < limit) is also true for NaN
  if (!(abs(x) < F16_ROUNDS_TO_INF)) {
    atomicAdd(&overflow[slot], 1u);
    return f16(select(-F16_MAX, F16_MAX, x > 0.0));
  }
  return f16(clamp(x, -F16_MAX, F16_MAX));
}
