// float64 twins of the element-wise kernels (src/ops/elementwise.ts).
type Vec = ArrayLike<number>;

function sameLength(name: string, a: Vec, b: Vec): void {
  if (a.length !== b.length) throw new Error(`${name}: lengths ${a.length} and ${b.length} differ`);
}

export function addRef(a: Vec, b: Vec): Float64Array {
  sameLength('addRef', a, b);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}

export function subRef(a: Vec, b: Vec): Float64Array {
  sameLength('subRef', a, b);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

export function mulRef(a: Vec, b: Vec): Float64Array {
  sameLength('mulRef', a, b);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

export function scaleRef(a: Vec, s: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * s;
  return out;
}

export function squareRef(a: Vec): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * a[i];
  return out;
}

/** Returns y + alpha * x (the GPU op updates y in place). */
export function axpyRef(y: Vec, x: Vec, alpha: number): Float64Array {
  sameLength('axpyRef', y, x);
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = y[i] + alpha * x[i];
  return out;
}
