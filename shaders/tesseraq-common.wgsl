// Shared TesseraQ definitions (included by the tesseraq-*.wgsl kernels; no entry point).
// Per-element state: 0 soft (h = rectsig(v)), 1 hard down (h = 0), 2 hard up (h = 1).
const TQ_BINS: u32 = 4096u;

fn tqSigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

/** clamp(1.2·σ(x) − 0.1, 0, 1): AdaRound's stretched sigmoid, used for both h and f/2. */
fn tqRectSig(x: f32) -> f32 {
  return clamp(1.2 * tqSigmoid(x) - 0.1, 0.0, 1.0);
}

/** d rectsig / dx, zero where the clamp is active (bounds included, as torch.clamp). */
fn tqRectSigGrad(x: f32) -> f32 {
  let s = tqSigmoid(x);
  let hv = 1.2 * s - 0.1;
  return select(0.0, 1.2 * s * (1.0 - s), hv >= 0.0 && hv <= 1.0);
}

fn tqH(v: f32, state: u32) -> f32 {
  if (state == 1u) { return 0.0; }
  if (state == 2u) { return 1.0; }
  return tqRectSig(v);
}

/** Histogram bin of the confidence |h − 0.5| ∈ [0, 0.5]. */
fn tqBin(h: f32) -> u32 {
  return min(u32(abs(h - 0.5) * f32(2u * TQ_BINS)), TQ_BINS - 1u);
}

/** The code of one element before the clamp: floor(W/s) + h + z. */
fn tqCode(w: f32, s: f32, z: f32, v: f32, state: u32) -> f32 {
  return floor(w / s) + tqH(v, state) + z;
}

/** dL/dv of one element from g = dL/dŴ: zero for hard entries and where the code is clamped. */
fn tqDv(g: f32, x: f32, s: f32, f: f32, v: f32, state: u32, qmax: f32) -> f32 {
  if (state == 0u && x >= 0.0 && x <= qmax) { return g * s * f * tqRectSigGrad(v); }
  return 0.0;
}

/** One element's part of dL/du (before the factor 2·rectsig'(u)): dŴ·(q − z)·s. */
fn tqDuTerm(g: f32, x: f32, s: f32, z: f32, qmax: f32) -> f32 {
  return g * (clamp(x, 0.0, qmax) - z) * s;
}
