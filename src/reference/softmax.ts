// float64 twins of the row softmax kernels (src/ops/softmax.ts). x is [rows, cols] row-major.
type Vec = ArrayLike<number>;

export function logsumexpRowsRef(x: Vec, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += Math.exp(x[r * cols + c] - m);
    out[r] = m + Math.log(s);
  }
  return out;
}

export function softmaxRowsRef(x: Vec, rows: number, cols: number): Float64Array {
  const lse = logsumexpRowsRef(x, rows, cols);
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c] - lse[r]);
  return out;
}
