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

fn rowStats(base: u32, cols: u32, lid: u32) -> vec2<f32> {
  var m = ROW_NEG_BIG;
  var r = -1.0;
  for (var c = lid; c < cols; c += {{WG}}u) {
    let v = x[base + c];
    if (v > m) {
      r = (r + 1.0) * exp(m - v);
      m = v;
    } else {
      r += exp(v - m);
    }
  }
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
