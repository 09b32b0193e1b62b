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
// TILED (one column a load, G = the group size): the workgroup's groups are staged in workgroup
// memory first (teq-tile.wgsl), so that global memory is read and written a column an invocation in
// order; the same arithmetic in the same order again.
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

#include "teq-locate.wgsl"
#if TILED
#include "teq-tile.wgsl"
var<workgroup> dS: array<f32, TILE_SIZE>;
var<workgroup> aS: array<f32, TILE_SIZE>;
fn W(l: Loc, c: u32) -> vec4<f32> { return vec4<f32>(wS[tileAt(l, c)], 0.0, 0.0, 0.0); }
fn D(l: Loc, c: u32) -> vec4<f32> { return vec4<f32>(dS[tileAt(l, c)], 0.0, 0.0, 0.0); }
fn A(l: Loc, c: u32) -> vec4<f32> { return vec4<f32>(aS[tileAt(l, c)], 0.0, 0.0, 0.0); }
// the contributions replace dW's values in the tile (each read before it is written)
fn put(l: Loc, c: u32, v: vec4<f32>) { dS[tileAt(l, c)] = v.x; }
fn stageOne(l: Loc, c: u32, t: u32) {
  wS[t] = wOf(l.m, l.base + c).x;
  dS[t] = dOf(l.m, l.base + c).x;
  aS[t] = al(c).x;
}
fn unstageOne(l: Loc, c: u32, t: u32) { contrib[p.contribOffset + l.stacked * p.cols + c] = dS[t]; }
#else
fn W(l: Loc, c: u32) -> vec4<f32> { return wOf(l.m, l.base + c); }
fn D(l: Loc, c: u32) -> vec4<f32> { return dOf(l.m, l.base + c); }
fn A(l: Loc, c: u32) -> vec4<f32> { return al(c); }
fn put(l: Loc, c: u32, v: vec4<f32>) { contrib[(p.contribOffset + l.stacked * p.cols + c) / STEP] = narrow(v); }
#endif

/** One (row, group): its dα contributions, through W, D, A and put. */
fn groupContributions(l: Loc) {
  let c0 = l.c0;
  let c1 = l.c1;
  // min, max and the largest |value| with the first column that holds each
  var mn = W(l, c0).x * A(l, c0).x;
  var mx = mn;
  var big = abs(mn);
  var imn = c0;
  var imx = c0;
  var iabs = c0;
  for (var c = c0; c < c1; c += STEP) {
    let wv = W(l, c);
    let av = A(l, c);
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
    let wv = W(l, c);
    let dv = D(l, c);
    let av = A(l, c);
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
    let wq = W(l, c);
    let dq = D(l, c);
    let av = A(l, c);
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
    put(l, c, res);
  }
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  let total = (p.rows0 + p.rows1 + p.rows2) * p.nGroups;
#if TILED
  stageTile(id - lid, lid, total);
  workgroupBarrier();
  if (id < total) { groupContributions(locate(id, lid)); }
  workgroupBarrier();
  unstageTile(id - lid, lid, total);
#else
  if (id >= total) { return; }
  groupContributions(locate(id, 0u));
#endif
}
