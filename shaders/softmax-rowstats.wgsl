// Included by the row-softmax kernels (one workgroup of {{WG}} threads per row). rowStats returns
// (m, r): m is the row maximum of the module's `x` and r = sum of exp(x - m) minus 1, i.e. the sum
// without the max element's own exp(0) = 1. Keeping r instead of s = 1 + r lets log1p(r) stay
// precise when the max dominates (a confident prediction whose loss is ~1e-8). Each thread keeps
// an online (max, r) pair over a strided loop; the pairs are merged by a fixed-order tree, so
// results are reproducible. An empty lane is (ROW_NEG_BIG, -1), i.e. s = 0; the finite start
// value keeps exp(m1 - mm) from becoming exp(-inf + inf) = NaN.
const ROW_NEG_BIG = -3.0e38;
var<workgroup> rowMax: array<f32, {{WG}}>;
var<workgroup> rowRest: array<f32, {{WG}}>;

/** Adds one value to a lane's (max, rest) pair. */
fn rowStep(m: ptr<function, f32>, r: ptr<function, f32>, v: f32) {
  if (v > *m) {
    *r = (*r + 1.0) * exp(*m - v);
    *m = v;
  } else {
    *r += exp(v - *m);
  }
}

fn rowStats(base: u32, cols: u32, lid: u32) -> vec2<f32> {
  var m = ROW_NEG_BIG;
  var r = -1.0;
  var c = lid;
  // Four independent loads and exps per step (the row is latency-bound otherwise); a step that
  // raises the max, rare after the first few, takes the one-at-a-time update that keeps r exact.
  for (; c + 3u * {{WG}}u < cols; c += 4u * {{WG}}u) {
    let v0 = x[base + c];
    let v1 = x[base + c + {{WG}}u];
    let v2 = x[base + c + 2u * {{WG}}u];
    let v3 = x[base + c + 3u * {{WG}}u];
    if (max(max(v0, v1), max(v2, v3)) > m) {
      rowStep(&m, &r, v0);
      rowStep(&m, &r, v1);
      rowStep(&m, &r, v2);
      rowStep(&m, &r, v3);
    } else {
      r += (exp(v0 - m) + exp(v1 - m)) + (exp(v2 - m) + exp(v3 - m));
    }
  }
  for (; c < cols; c += {{WG}}u) { rowStep(&m, &r, x[base + c]); }
  rowMax[lid] = m;
  rowRest[lid] = r;
  workgroupBarrier();
  for (var k = {{WG}}u / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      let m1 = rowMax[lid];
      let m2 = rowMax[lid + k];
      let r1 = rowRest[lid];
      let r2 = rowRest[lid + k];
      // The lane with the larger max keeps its r; the other one's full sum is scaled down.
      if (m1 >= m2) {
        rowRest[lid] = r1 + (r2 + 1.0) * exp(m2 - m1);
      } else {
        rowRest[lid] = r2 + (r1 + 1.0) * exp(m1 - m2);
        rowMax[lid] = m2;
      }
    }
    workgroupBarrier();
  }
  return vec2<f32>(rowMax[0], rowRest[0]);
}

/** log(1 + r) without the rounding of 1 + r for small r (WGSL has no log1p). */
fn rowLog1p(r: f32) -> f32 {
  if (abs(r) < 0.1) {
    // Taylor series to r^8: truncation below 1e-9 relative for |r| < 0.1.
    return r * (1.0 - r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * (0.2 - r * (1.0 / 6.0 - r * (1.0 / 7.0 - r * 0.125)))))));
  }
  return log(1.0 + r);
}
