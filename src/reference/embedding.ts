// float64 twins of the embedding kernels (src/ops/embedding.ts). table is [vocab, cols]; an id
// outside [0, vocab) (e.g. the 0xFFFFFFFF padding id) gathers a zero row and gets no gradient.
type Vec = ArrayLike<number>;

export function embeddingGatherRef(table: Vec, vocab: number, cols: number, ids: ArrayLike<number>): Float64Array {
  if (table.length !== vocab * cols) throw new Error(`embeddingGatherRef: table has ${table.length} values, not ${vocab}x${cols}`);
  const out = new Float64Array(ids.length * cols);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id >= vocab) continue;
    for (let c = 0; c < cols; c++) out[t * cols + c] = table[id * cols + c];
  }
  return out;
}

/** dTable[v] = sum of dy[t] over tokens t with ids[t] == v. */
export function embeddingBackwardRef(dy: Vec, ids: ArrayLike<number>, vocab: number, cols: number): Float64Array {
  if (dy.length !== ids.length * cols) throw new Error(`embeddingBackwardRef: dy has ${dy.length} values, not ${ids.length}x${cols}`);
  const out = new Float64Array(vocab * cols);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (id >= vocab) continue;
    for (let c = 0; c < cols; c++) out[id * cols + c] += dy[t * cols + c];
  }
  return out;
}
