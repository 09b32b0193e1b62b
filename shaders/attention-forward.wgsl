// Causal grouped-query attention forward, flash-style (online softmax over key tiles).
// q[T, Hq*D], k/v[T, Hkv*D] with T = batch*seqLen; query head h reads kv head h / rep.
// Workgroup (query block, head, batch) owns BR query rows; each row is served by TPR lanes.
//   scores: lane computes BC/TPR keys of its row (q row read from global, broadcast over lanes,
//           key tile in shared memory, rows padded to D+1 against bank conflicts);
//   output: lane owns dims d = lane + n*TPR of its row and accumulates p * v from the same
//           shared buffer reloaded with the value tile.
// Writes out (normalised) and lse = m + log(l) per (token, head) for backward.
#include "attention-common.wgsl"
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

const D = {{D}}u;
const KS = {{D}}u + 1u;
// Masked scores: finite so that exp(NEG - m) is exactly 0 and no inf - inf appears.
const NEG = -1.0e30;

var<workgroup> tile: array<f32, {{BC}} * ({{D}} + 1)>;
var<workgroup> scores: array<f32, {{BR}} * {{BC}}>;

@compute @workgroup_size({{NT}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let qb = wid.x;
  let h = wid.y;
  let b = wid.z;
  let g = h / p.rep;
  let r = lid / TPR;
  let lane = lid % TPR;
  let i = qb * BR + r;
  // Rows past the sequence end still take part in every barrier; they read a valid row.
  let ic = min(i, p.seqLen - 1u);
  let qBase = ((b * p.seqLen + ic) * p.Hq + h) * D;
  let kvStride = p.Hkv * D;
  let kvBase = (b * p.seqLen * p.Hkv + g) * D;
  let kEnd = min(p.seqLen, (qb + 1u) * BR);
  let nTiles = (kEnd + BC - 1u) / BC;

  var m = NEG;
  var l = 0.0;
  var o: array<f32, NOUT>;
  for (var kt = 0u; kt < nTiles; kt++) {
    let j0 = kt * BC;
    for (var e = lid; e < BC * D; e += NT) {
      let jj = e / D;
      let j = j0 + jj;
      var val = 0.0;
      if (j < p.seqLen) { val = k[kvBase + j * kvStride + e % D]; }
      tile[jj * KS + e % D] = val;
    }
    workgroupBarrier();
    var s = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
    for (var d = 0u; d < D; d++) {
      let qd = q[qBase + d];
      for (var c = 0u; c < NCOL; c++) { s[c] += qd * tile[(lane + c * TPR) * KS + d]; }
    }
    for (var c = 0u; c < NCOL; c++) {
      let jj = lane + c * TPR;
      scores[r * BC + jj] = select(NEG, s[c] * p.scale, j0 + jj <= ic);
    }
    workgroupBarrier();
    var tmax = NEG;
    for (var jj = 0u; jj < BC; jj++) { tmax = max(tmax, scores[r * BC + jj]); }
    let mNew = max(m, tmax);
    let alpha = exp(m - mNew);
    // Every thread has finished reading the key tile (barrier above): reuse it for values.
    for (var e = lid; e < BC * D; e += NT) {
      let jj = e / D;
      let j = j0 + jj;
      var val = 0.0;
      if (j < p.seqLen) { val = v[kvBase + j * kvStride + e % D]; }
      tile[jj * KS + e % D] = val;
    }
    workgroupBarrier();
    for (var n = 0u; n < NOUT; n++) { o[n] *= alpha; }
    var rowSum = 0.0;
    for (var jj = 0u; jj < BC; jj++) {
      let pj = exp(scores[r * BC + jj] - mNew);
      rowSum += pj;
      for (var n = 0u; n < NOUT; n++) {
        let d = lane + n * TPR;
        if (d < D) { o[n] += pj * tile[jj * KS + d]; }
      }
    }
    l = l * alpha + rowSum;
    m = mNew;
    workgroupBarrier();
  }
  if (i < p.seqLen) {
    let inv = 1.0 / l;
    for (var n = 0u; n < NOUT; n++) {
      let d = lane + n * TPR;
      if (d < D) { out[qBase + d] = o[n] * inv; }
    }
    if (lane == 0u) { lse[(b * p.seqLen + i) * p.Hq + h] = m + log(l); }
  }
}
