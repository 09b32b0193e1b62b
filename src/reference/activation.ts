// float64 twins of the activation kernels (SwiGLU, ReLU, exact-erf GELU) and their backward passes.

/** erf(x) to ~1e-14: Maclaurin series near zero, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = a * a;
    let term = a; // (-1)^n x^(2n+1) / n!
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcTail(a));
}

/** erfc(x), accurate in relative terms also far into the right tail. */
export function erfc(x: number): number {
  if (x >= 3) return erfcTail(x);
  return 1 - erf(x);
}

// Continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
// evaluated bottom-up; for x >= 3 a hundred levels are far more than double precision needs.
function erfcTail(x: number): number {
  let f = x;
  for (let k = 100; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

const sigmoid = (g: number) => 1 / (1 + Math.exp(-g));

/** silu(gate) * up */
export function swigluRef(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const out = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
  return out;
}

export function swigluBackwardRef(dy: ArrayLike<number>, gate: ArrayLike<number>, up: ArrayLike<number>): { dgate: Float64Array; dup: Float64Array } {
  const n = gate.length;
  const dgate = new Float64Array(n);
  const dup = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dup[i] = dy[i] * g * s;
    // d/dg [g * s(g)] = s + g s (1 - s)
    dgate[i] = dy[i] * up[i] * s * (1 + g * (1 - s));
  }
  return { dgate, dup };
}

export function reluRef(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
  return out;
}

/** Gradient 0 at x = 0 (as torch does). */
export function reluBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? dy[i] : 0;
  return out;
}

/** gelu(x) = x * Phi(x) = 0.5 x erfc(-x / sqrt 2), the exact form (torch nn.GELU default). */
export function geluRef(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = 0.5 * x[i] * erfc(-x[i] / Math.SQRT2);
  return out;
}

/** d gelu/dx = Phi(x) + x * phi(x). */
export function geluBackwardRef(dy: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const cdf = 0.5 * erfc(-v / Math.SQRT2);
    out[i] = dy[i] * (cdf + v * invSqrt2Pi * Math.exp(-0.5 * v * v));
  }
  return out;
}
