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
// VEC4 (columns, group size and both offsets multiples of 4): the same arithmetic in the same
// order, four columns a load (one invocation walks its whole group, so wide loads keep more in flight).
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params {
  cols: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32, alphaOffset: u32,
  rows0: u32, rows1: u32, rows2: u32, contribOffset: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
#include "teq-vec.wgsl"
@group(0) @binding(1) var<storage, read> alpha: array<V>;
@group(0) @binding(2) var<storage, read_write> contrib: array<V>;
@group(0) @binding(3) var<storage, read> w0: array<V>;
@group(0) @binding(4) var<storage, read> d0: array<V>;
#if M2
@group(0) @binding(5) var<storage, read> w1: array<V>;
@group(0) @binding(6) var<storage, read> d1: array<V>;
#endif
#if M3
@group(0) @binding(7) var<storage, read> w2: array<V>;
@group(0) @binding(8) var<storage, read> d2: array<V>;
#endif

fn wOf(m: u32, i: u32) -> vec4<f32> {
#if M2
  if (m == 1u) { return widen(w1[i / STEP]); }
#endif
#if M3
  if (m == 2u) { return widen(w2[i / STEP]); }
#endif
  return widen(w0[i / STEP]);
}

fn dOf(m: u32, i: u32) -> vec4<f32> {
#if M2
  if (m == 1u) { return widen(d1[i / STEP]); }
#endif
#if M3
  if (m == 2u) { return widen(d2[i / STEP]); }
#endif
  return widen(d0[i / STEP]);
}

fn al(c: u32) -> vec4<f32> {
  return widen(alpha[(p.alphaOffset + c) / STEP]);
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
  // min, max and the largest |value| with the first column that holds each
  var mn = wOf(m, base + c0).x * al(c0).x;
  var mx = mn;
  var big = abs(mn);
  var imn = c0;
  var imx = c0;
  var iabs = c0;
  for (var c = c0; c < c1; c += STEP) {
    let wv = wOf(m, base + c);
    let av = al(c);
    for (var k = 0u; k < STEP; k++) {
      let v = wv[k] * av[k];
      if (v < mn) { mn = v; imn = c + k; }
      if (v > mx) { mx = v; imx = c + k; }
      if (abs(v) > big) { big = abs(v); iabs = c + k; }
    }
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
  for (var c = c0; c < c1; c += STEP) {
    let wv = wOf(m, base + c);
    let dv = dOf(m, base + c);
    let av = al(c);
    for (var k = 0u; k < STEP; k++) {
      let a = av[k];
      let u = wv[k] * a / s;
      let t = round(u) + z;
      let q = clamp(t, lo, hi);
      var coef = round(u) - u;
      if (t < lo || t > hi) { coef = q - z; }
      G += dv[k] / a * coef;
    }
  }
  // Pass 2: per-element contributions.
  for (var c = c0; c < c1; c += STEP) {
    let wq = wOf(m, base + c);
    let dq = dOf(m, base + c);
    let av = al(c);
    var res = vec4<f32>(0.0);
    for (var k = 0u; k < STEP; k++) {
      let a = av[k];
      let wv = wq[k];
      let dw = dq[k];
      let u = wv * a / s;
      let t = round(u) + z;
      let q = clamp(t, lo, hi);
      let Q = (q - z) * s;
#if FULL
      res[k] = dw * (wv - Q / a) / a;
#else
      var direct = wv;
      if (t < lo || t > hi) { direct = 0.0; }
      var v = dw * (direct / a - Q / (a * a));
      if (!sFloored) {
        var ds = 0.0;
        let col = c + k;
        if (p.symmetric == 1u) {
          if (col == iabs) { ds = sign(wv * a) * wv / dsDen; }
        } else {
          if (col == imx) { ds += wv / dsDen; }
          if (col == imn) { ds -= wv / dsDen; }
        }
        v += G * ds;
      }
      res[k] = v;
#endif
    }
    contrib[(out + c) / STEP] = narrow(res);
  }
}
