// float64 twins of the broadcast kernels (src/ops/broadcast.ts). x is [rows, cols] row-major;
// a "row vector" has one value per column, a "column vector" one value per row.
type Vec = ArrayLike<number>;

function broadcastRef(x: Vec, rows: number, cols: number, v: Vec, perColumn: boolean, op: (a: number, b: number) => number): Float64Array {
  if (x.length !== rows * cols) throw new Error(`broadcast: x has ${x.length} values, not ${rows}x${cols}`);
  const want = perColumn ? cols : rows;
  if (v.length !== want) throw new Error(`broadcast: vector has ${v.length} values, not ${want}`);
  const out = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = op(x[r * cols + c], v[perColumn ? c : r]);
  }
  return out;
}

export const mulRowVectorRef = (x: Vec, rows: number, cols: number, v: Vec) => broadcastRef(x, rows, cols, v, true, (a, b) => a * b);
export const divRowVectorRef = (x: Vec, rows: number, cols: number, v: Vec) => broadcastRef(x, rows, cols, v, true, (a, b) => a / b);
export const addRowVectorRef = (x: Vec, rows: number, cols: number, v: Vec) => broadcastRef(x, rows, cols, v, true, (a, b) => a + b);
export const mulColVectorRef = (x: Vec, rows: number, cols: number, v: Vec) => broadcastRef(x, rows, cols, v, false, (a, b) => a * b);
export const divColVectorRef = (x: Vec, rows: number, cols: number, v: Vec) => broadcastRef(x, rows, cols, v, false, (a, b) => a / b);
