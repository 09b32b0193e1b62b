// The min/max quantizer of one group (no entry point; included by the kernels that quantize):
// asymmetric: s = max(mx − mn, 1e-5) / (2^b − 1), z = clamp(−round(mn / s), 0, 2^b − 1);
// symmetric:  s = max(|mn|, |mx|, 1e-5) / (2^(b−1) − 1), z = 2^(b−1). Codes lie in [0, qhi].
struct MinMaxQuant {
  s: f32,
  z: f32,
  qhi: f32,
  /** s = max(range, 1e-5) / den: what the scale's derivative needs. */
  den: f32,
  range: f32,
}

fn minMaxQuant(mn: f32, mx: f32, bits: u32, symmetric: bool) -> MinMaxQuant {
  if (symmetric) {
    let half = f32(1u << (bits - 1u));
    let range = max(abs(mn), abs(mx));
    return MinMaxQuant(max(range, 1e-5) / (half - 1.0), half, 2.0 * half - 1.0, half - 1.0, range);
  }
  let qmax = f32((1u << bits) - 1u);
  let range = mx - mn;
  let s = max(range, 1e-5) / qmax;
  return MinMaxQuant(s, clamp(-round(mn / s), 0.0, qmax), qmax, qmax, range);
}
