// TEQ: the gradient of the loss with respect to each input-channel scale α, per weight element,
// from dWeff = dL/dWeff where Weff = FQ(W·diag(α))·diag(1/α) is the weight the unscaled input sees.
//   FULL (the spec's rule: the whole fake-quant is the identity in backward):
//     contrib[o,j] = dWeff[o,j] · (W[o,j] − Q[o,j]/α_j) / α_j
//   otherwise (straight-through on the rounding only): Q = s·(Wα/s + e) with the rounding residual
//   e held fixed, so the gradient also sees how α moves the group's min/max and hence its scale s:
//     dQ[o,k]/dα_j = W[o,j]·δ_kj (0 where the code is clamped) + c[o,k] · ds/dα_j,
//     c = e (or q − z where clamped), ds/dα_j = (W[o,j]·[j = argmax] − W[o,j]·[j = argmin]) / qmax.
// For the 1–3 Linears that share one α, in one dispatch: one invocation per (row, group) of the
// members' rows stacked in order; α is read at alphaOffset of the packed α buffer and the
// contributions are written as [stacked rows, cols] at contribOffset of one buffer that holds
// every group's (teq-colsum.wgsl then sums each group's columns into dα).
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params {
  cols: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32, alphaOffset: u32,
  rows0: u32, rows1: u32, rows2: u32, contribOffset: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> alpha: array<f32>;
@group(0) @binding(2) var<storage, read_write> contrib: array<f32>;
@group(0) @binding(3) var<storage, read> w0: array<f32>;
@group(0) @binding(4) var<storage, read> d0: array<f32>;
#if M2
@group(0) @binding(5) var<storage, read> w1: array<f32>;
@group(0) @binding(6) var<storage, read> d1: array<f32>;
#endif
#if M3
@group(0) @binding(7) var<storage, read> w2: array<f32>;
@group(0) @binding(8) var<storage, read> d2: array<f32>;
#endif

fn wOf(m: u32, i: u32) -> f32 {
#if M2
  if (m == 1u) { return w1[i]; }
#endif
#if M3
  if (m == 2u) { return w2[i]; }
#endif
  return w0[i];
}

fn dOf(m: u32, i: u32) -> f32 {
#if M2
  if (m == 1u) { return d1[i]; }
#endif
#if M3
  if (m == 2u) { return d2[i]; }
#endif
  return d0[i];
}

fn al(c: u32) -> f32 {
  return alpha[p.alphaOffset + c];
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  let rows = p.rows0 + p.rows1 + p.rows2;
  if (id >= rows * p.nGroups) { return; }
  let stacked = id / p.nGroups;
  var r = stacked;
  let g = id % p.nGroups;
  var m = 0u;
  if (r >= p.rows0) {
    r -= p.rows0;
    m = 1u;
    if (r >= p.rows1) { r -= p.rows1; m = 2u; }
  }
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  let base = r * p.cols;
  let out = p.contribOffset + stacked * p.cols;
  var mn = wOf(m, base + c0) * al(c0);
  var mx = mn;
  var imn = c0;
  var imx = c0;
  var iabs = c0;
  for (var c = c0 + 1u; c < c1; c++) {
    let v = wOf(m, base + c) * al(c);
    if (v < mn) { mn = v; imn = c; }
    if (v > mx) { mx = v; imx = c; }
    if (abs(v) > abs(wOf(m, base + iabs) * al(iabs))) { iabs = c; }
  }
  let mq = minMaxQuant(mn, mx, p.bits, p.symmetric == 1u);
  let s = mq.s;
  let z = mq.z;
  let lo = 0.0;
  let hi = mq.qhi;
  let sFloored = mq.range < 1e-5;
  let dsDen = mq.den;
  // Pass 1: G = Σ_k dWeff[k]/α_k · c_k, the loss's sensitivity to this group's scale s.
  var G = 0.0;
  for (var c = c0; c < c1; c++) {
    let a = al(c);
    let u = wOf(m, base + c) * a / s;
    let t = round(u) + z;
    let q = clamp(t, lo, hi);
    var coef = round(u) - u;
    if (t < lo || t > hi) { coef = q - z; }
    G += dOf(m, base + c) / a * coef;
  }
  // Pass 2: per-element contributions.
  for (var c = c0; c < c1; c++) {
    let a = al(c);
    let wv = wOf(m, base + c);
    let dw = dOf(m, base + c);
    let u = wv * a / s;
    let t = round(u) + z;
    let q = clamp(t, lo, hi);
    let Q = (q - z) * s;
#if FULL
    contrib[out + c] = dw * (wv - Q / a) / a;
#else
    var direct = wv;
    if (t < lo || t > hi) { direct = 0.0; }
    var v = dw * (direct / a - Q / (a * a));
    if (!sFloored) {
      var ds = 0.0;
      if (p.symmetric == 1u) {
        if (c == iabs) { ds = sign(wv * a) * wv / dsDen; }
      } else {
        if (c == imx) { ds += wv / dsDen; }
        if (c == imn) { ds -= wv / dsDen; }
      }
      v += G * ds;
    }
    contrib[out + c] = v;
#endif
  }
}
