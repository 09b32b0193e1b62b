// TEQ: dα's column sums, per chunk of rows, of the Linears that share one α, from the gradient
// dWeff = dL/dWeff where Weff = FQ(W·diag(α))·diag(1/α) is the weight the unscaled input sees.
// Each element's contribution to dα_j (never stored: they were as large as the weights):
//   FULL (the spec's rule: the whole fake-quant is the identity in backward):
//     contrib[o,j] = dWeff[o,j] · (W[o,j] − Q[o,j]/α_j) / α_j
//   otherwise (straight-through on the rounding only): Q = s·(Wα/s + e) with the rounding residual
//   e held fixed, so the gradient also sees how α moves the group's min/max and hence its scale s:
//     dQ[o,k]/dα_j = W[o,j]·δ_kj (0 where the code is clamped) + c[o,k] · ds/dα_j,
//     c = e (or q − z where clamped), ds/dα_j = (W[o,j]·[j = argmax] − W[o,j]·[j = argmin]) / qmax.
// A workgroup takes one group's columns over one chunk of `chunkRows` rows of the members' rows
// stacked in order, ROWS rows at a time (teq-lanes.wgsl), and adds each column's contributions in
// row order from 0; it writes them to partials[partialOffset + chunk·cols + column], which
// teq-colsum.wgsl adds up over the chunks in order. (A single chunk gives the bits of one chain
// of the rows; the chunks let a group's columns use the whole GPU.) A row's min, max, first argmin,
// argmax and arg-|max|, and G = Σ_k dWeff[k]/α_k · c_k in column order, come from its lanes
// through workgroup memory; with one vector a lane (VPL 1) G's sum has the bits of one walk.
// VEC4 (columns, group size and α offset multiples of 4): the same arithmetic, four columns a load.
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params {
  cols: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32, alphaOffset: u32,
  rows0: u32, rows1: u32, rows2: u32, partialOffset: u32, chunkRows: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
#include "teq-vec.wgsl"
@group(0) @binding(1) var<storage, read> alpha: array<V>;
@group(0) @binding(2) var<storage, read_write> partials: array<V>;
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

fn dOf(m: u32, i: u32) -> vec4<f32> {
#if M2
  if (m == 1u) { return widen(d1[i / STEP]); }
#endif
#if M3
  if (m == 2u) { return widen(d2[i / STEP]); }
#endif
  return widen(d0[i / STEP]);
}

#include "teq-lanes.wgsl"

/** A lane's running extremes of its row's group: value and the first column that holds it. */
struct Extremes {
  mn: f32, imn: u32,
  mx: f32, imx: u32,
  big: f32, ibig: u32,
}

const NONE = 0xffffffffu;

fn noExtremes() -> Extremes {
  return Extremes(INF, NONE, -INF, NONE, -1.0, NONE);
}

// Takes (v, c) where it is more extreme, or as extreme at an earlier column: the first column in
// any order of visits.
fn visit(e: ptr<function, Extremes>, v: f32, c: u32) {
  if (v < (*e).mn || (v == (*e).mn && c < (*e).imn)) { (*e).mn = v; (*e).imn = c; }
  if (v > (*e).mx || (v == (*e).mx && c < (*e).imx)) { (*e).mx = v; (*e).imx = c; }
  let a = abs(v);
  if (a > (*e).big || (a == (*e).big && c < (*e).ibig)) { (*e).big = a; (*e).ibig = c; }
}

var<workgroup> rowExtremes: array<Extremes, WG>;
// the lanes' G terms (one vector a lane), then the tile's contributions for the column sums
var<workgroup> terms: array<vec4<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let rows = p.rows0 + p.rows1 + p.rows2;
  let chunks = (rows + p.chunkRows - 1u) / p.chunkRows;
  if (w >= chunks * p.nGroups) { return; }
  let g = w % p.nGroups;
  let chunk = w / p.nGroups;
  let r0 = chunk * p.chunkRows;
  let r1 = min(r0 + p.chunkRows, rows);
  let i = lid / LANES;
  let l = lid % LANES;
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  var av: array<vec4<f32>, VPL>;
  for (var k = 0u; k < VPL; k++) {
    let c = colOf(c0, l, k);
    if (i < ROWS && c < c1) { av[k] = al(c); }
  }
  var sums: array<vec4<f32>, VPL>;
  for (var t = r0; t < r1; t += ROWS) {
    let ln = laneOf(t + i, i < ROWS && t + i < r1);
    var wv: array<vec4<f32>, VPL>;
    var dv: array<vec4<f32>, VPL>;
    var e = noExtremes();
    for (var k = 0u; k < VPL; k++) {
      let c = colOf(c0, l, k);
      if (!ln.live || c >= c1) { continue; }
      wv[k] = wOf(ln.m, ln.base + c);
      dv[k] = dOf(ln.m, ln.base + c);
      for (var j = 0u; j < STEP; j++) { visit(&e, wv[k][j] * av[k][j], c + j); }
    }
    rowExtremes[lid] = e;
    workgroupBarrier();
    var s = 1.0;
    var z = 0.0;
    var hi = 0.0;
    var sFloored = true;
    var dsDen = 1.0;
    if (ln.live) {
      for (var q = i * LANES; q < (i + 1u) * LANES; q++) {
        let o = rowExtremes[q];
        // a lane past the group's last column saw nothing
        if (o.imn == NONE) { continue; }
        // every candidate is an element of the row, and each extreme is among them
        visit(&e, o.mn, o.imn);
        visit(&e, o.mx, o.imx);
        // the lane's largest |value| (kept without its sign)
        if (o.big > e.big || (o.big == e.big && o.ibig < e.ibig)) { e.big = o.big; e.ibig = o.ibig; }
      }
      let mq = minMaxQuant(e.mn, e.mx, p.bits, p.symmetric == 1u);
      s = mq.s;
      z = mq.z;
      hi = mq.qhi;
      sFloored = mq.range < 1e-5;
      dsDen = mq.den;
    }
#if !FULL
    // G = Σ_k dWeff[k]/α_k · c_k over the row's group in column order: the loss's sensitivity to s.
    var part = vec4<f32>(0.0);
    for (var k = 0u; k < VPL; k++) {
      let c = colOf(c0, l, k);
      if (!ln.live || c >= c1) { continue; }
      for (var j = 0u; j < STEP; j++) {
        let a = av[k][j];
        let u = wv[k][j] * a / s;
        let tq = round(u) + z;
        var coef = round(u) - u;
        if (tq < 0.0 || tq > hi) { coef = clamp(tq, 0.0, hi) - z; }
        part[j] += dv[k][j] / a * coef;
      }
    }
    terms[lid] = part;
    workgroupBarrier();
    var G = 0.0;
    if (ln.live) {
      for (var q = i * LANES; q < (i + 1u) * LANES; q++) {
        let v = terms[q];
        G += v.x;
        G += v.y;
        G += v.z;
        G += v.w;
      }
    }
    workgroupBarrier();
#endif
    // each element's contribution
    for (var k = 0u; k < VPL; k++) {
      let c = colOf(c0, l, k);
      var res = vec4<f32>(0.0);
      if (ln.live && c < c1) {
        for (var j = 0u; j < STEP; j++) {
          let a = av[k][j];
          let wj = wv[k][j];
          let dw = dv[k][j];
          let u = wj * a / s;
          let tq = round(u) + z;
          let Q = (clamp(tq, 0.0, hi) - z) * s;
#if FULL
          res[j] = dw * (wj - Q / a) / a;
#else
          var direct = wj;
          if (tq < 0.0 || tq > hi) { direct = 0.0; }
          var v = dw * (direct / a - Q / (a * a));
          if (!sFloored) {
            var ds = 0.0;
            let col = c + j;
            if (p.symmetric == 1u) {
              if (col == e.ibig) { ds = sign(wj * a) * wj / dsDen; }
            } else {
              if (col == e.imx) { ds += wj / dsDen; }
              if (col == e.imn) { ds -= wj / dsDen; }
            }
            v += G * ds;
          }
          res[j] = v;
#endif
        }
      }
      if (ROWS == 1u) {
        sums[k] += res;
      } else {
        terms[lid] = res;
      }
    }
    if (ROWS > 1u) {
      // the first row's lanes add the tile's rows in order (VPL is 1 where ROWS > 1)
      workgroupBarrier();
      if (i == 0u) {
        let n = min(ROWS, r1 - t);
        for (var q = 0u; q < n; q++) { sums[0] += terms[q * LANES + l]; }
      }
    } else {
      // the row's extremes are read before the next tile writes them (the other case's barrier)
      workgroupBarrier();
    }
  }
  if (i != 0u) { return; }
  for (var k = 0u; k < VPL; k++) {
    let c = colOf(c0, l, k);
    if (c < c1) { partials[(p.partialOffset + chunk * p.cols + c) / STEP] = narrow(sums[k]); }
  }
}
