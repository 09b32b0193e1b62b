// erfc(z) for z >= 0 with fractional error below 1.2e-7 everywhere (Chebyshev-fitted form from
// Numerical Recipes, "erfcc"): relative accuracy holds far into the tail, where 1 - erf(z) would
// cancel, which keeps GELU accurate for negative inputs too.
fn erfcNonNeg(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
             t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-z * z + poly);
}

/** Phi(x) = P(N(0,1) <= x) = 0.5 erfc(-x / sqrt 2). */
fn normalCdf(x: f32) -> f32 {
  let half = 0.5 * erfcNonNeg(abs(x) * 0.70710678118654752);
  return select(half, 1.0 - half, x > 0.0);
}
