// float64 twins of the reductions (src/ops/reduce.ts). x is [rows, cols] row-major.
type Vec = ArrayLike<number>;

export function sumRowsRef(x: Vec, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c];
    out[r] = s;
  }
  return out;
}

export function sumColsRef(x: Vec, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
  return out;
}

export function sumAllRef(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function sumSquaresRef(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** sum((a-b)^2) / denominator; the denominator defaults to the element count (a plain mean). */
export function meanSquaredErrorRef(a: Vec, b: Vec, denominator = a.length): number {
  if (a.length !== b.length) throw new Error(`meanSquaredErrorRef: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s / denominator;
}
