// float64 twins of the normalisation kernels. x is [T, C] row-major; statistics are per token (row).

export function rmsNormRef(x: ArrayLike<number>, weight: ArrayLike<number>, eps: number): { y: Float64Array; rstd: Float64Array } {
  const C = weight.length;
  const T = x.length / C;
  const y = new Float64Array(T * C);
  const rstd = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[t * C + c] ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[t] = r;
    for (let c = 0; c < C; c++) y[t * C + c] = x[t * C + c] * r * weight[c];
  }
  return { y, rstd };
}

/** y = x * r * w with r = (mean(x^2) + eps)^-1/2: dx = r (g - x r^2 mean(g x)), g = dy * w. */
export function rmsNormBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  rstd: ArrayLike<number>,
): { dx: Float64Array; dweight: Float64Array } {
  const C = weight.length;
  const T = x.length / C;
  const dx = new Float64Array(T * C);
  const dweight = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    const r = rstd[t];
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dy[t * C + c] * weight[c] * x[t * C + c];
    const k = (r * r * dot) / C;
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      dx[i] = r * (dy[i] * weight[c] - x[i] * k);
      dweight[c] += dy[i] * x[i] * r;
    }
  }
  return { dx, dweight };
}

export function layerNormRef(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const C = weight.length;
  const T = x.length / C;
  const y = new Float64Array(T * C);
  const mean = new Float64Array(T);
  const rstd = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[t * C + c];
    const mu = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[t * C + c] - mu) ** 2;
    const r = 1 / Math.sqrt(v / C + eps); // biased variance, as torch.nn.LayerNorm
    mean[t] = mu;
    rstd[t] = r;
    for (let c = 0; c < C; c++) y[t * C + c] = (x[t * C + c] - mu) * r * weight[c] + bias[c];
  }
  return { y, mean, rstd };
}

/** xhat = (x - mean) r, g = dy * w: dx = r (g - mean(g) - xhat mean(g xhat)). */
export function layerNormBackwardRef(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const C = weight.length;
  const T = x.length / C;
  const dx = new Float64Array(T * C);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let t = 0; t < T; t++) {
    const r = rstd[t];
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      const g = dy[i] * weight[c];
      sg += g;
      sgx += g * (x[i] - mean[t]) * r;
    }
    for (let c = 0; c < C; c++) {
      const i = t * C + c;
      const xhat = (x[i] - mean[t]) * r;
      dx[i] = r * (dy[i] * weight[c] - sg / C - (xhat * sgx) / C);
      dweight[c] += dy[i] * xhat;
      dbias[c] += dy[i];
    }
  }
  return { dx, dweight, dbias };
}
