// Side-by-side generation, fp32 vs a quantized run, from one prompt. Filled in when the engine
// offers generation (stage 3).
export function GenerationCompare() {
  return null;
}
