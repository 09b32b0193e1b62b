// Causal grouped-query attention forward for head dims that are a multiple of 4 (the usual case):
// the same flash-style online softmax as attention-forward.wgsl, with the costs that profiling on
// the H100 showed moved out of the inner loops (attention was 30-36% of AWQ's and TesseraQ's GPU
// time on the 135M shape):
//   - q, k, v, out are read and written as vec4 (one shared-memory load per 4 products; the key
//     tile's rows are padded by one vec4 so the lanes of a row hit different banks);
//   - each score's exp is taken once, by the lane that computed it, into a probability tile,
//     instead of by all TPR lanes of the row; each lane keeps a partial row sum, reduced at the end.
// Workgroup (query block, head, batch) owns BR query rows; TPR lanes serve a row: a lane computes
// BC/TPR keys of its row and owns the output vec4s lane + n*TPR.
#include "attention-common.wgsl"
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;

const D4 = {{D4}}u;
const KS4 = {{D4}}u + 1u;
// Masked scores: finite so that exp(NEG - m) is exactly 0 and no inf - inf appears.
const NEG = -1.0e30;

var<workgroup> tile: array<vec4<f32>, {{BC}} * ({{D4}} + 1)>;
var<workgroup> scores: array<f32, {{BR}} * {{BC}}>;
var<workgroup> probs: array<f32, {{BR}} * {{BC}}>;

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
  let qBase = ((b * p.seqLen + ic) * p.Hq + h) * D4;
  let kvStride = p.Hkv * D4;
  let kvBase = (b * p.seqLen * p.Hkv + g) * D4;
  let kEnd = min(p.seqLen, (qb + 1u) * BR);
  let nTiles = (kEnd + BC - 1u) / BC;

  var m = NEG;
  var lPart = 0.0;
  var o: array<vec4<f32>, NOUT>;
  for (var kt = 0u; kt < nTiles; kt++) {
    let j0 = kt * BC;
    for (var e = lid; e < BC * D4; e += NT) {
      let jj = e / D4;
      let j = j0 + jj;
      var val = vec4<f32>(0.0);
      if (j < p.seqLen) { val = k[kvBase + j * kvStride + e % D4]; }
      tile[jj * KS4 + e % D4] = val;
    }
    workgroupBarrier();
    var s = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
    for (var d = 0u; d < D4; d++) {
      let qd = q[qBase + d];
      for (var c = 0u; c < NCOL; c++) { s[c] += dot(qd, tile[(lane + c * TPR) * KS4 + d]); }
    }
    for (var c = 0u; c < NCOL; c++) {
      let jj = lane + c * TPR;
      s[c] = select(NEG, s[c] * p.scale, j0 + jj <= ic);
      scores[r * BC + jj] = s[c];
    }
    workgroupBarrier();
    var tmax = NEG;
    for (var jj = 0u; jj < BC; jj++) { tmax = max(tmax, scores[r * BC + jj]); }
    let mNew = max(m, tmax);
    let alpha = exp(m - mNew);
    var rowPart = 0.0;
    for (var c = 0u; c < NCOL; c++) {
      let pj = exp(s[c] - mNew);
      probs[r * BC + lane + c * TPR] = pj;
      rowPart += pj;
    }
    lPart = lPart * alpha + rowPart;
    m = mNew;
    // Every thread has finished reading the key tile (barrier above): reuse it for values.
    for (var e = lid; e < BC * D4; e += NT) {
      let jj = e / D4;
      let j = j0 + jj;
      var val = vec4<f32>(0.0);
      if (j < p.seqLen) { val = v[kvBase + j * kvStride + e % D4]; }
      tile[jj * KS4 + e % D4] = val;
    }
    workgroupBarrier();
    for (var n = 0u; n < NOUT; n++) { o[n] *= alpha; }
    for (var jj = 0u; jj < BC; jj++) {
      let pj = probs[r * BC + jj];
      for (var n = 0u; n < NOUT; n++) {
        let d = lane + n * TPR;
        if (d < D4) { o[n] += pj * tile[jj * KS4 + d]; }
      }
    }
    workgroupBarrier();
  }
  // The row sum: the lanes' partial sums through shared memory (every read of scores is done).
  scores[r * BC + lane] = lPart;
  workgroupBarrier();
  var l = 0.0;
  for (var t = 0u; t < TPR; t++) { l += scores[r * BC + t]; }
  if (i < p.seqLen) {
    let inv = 1.0 / l;
    for (var n = 0u; n < NOUT; n++) {
      let d = lane + n * TPR;
      if (d < D4) { out[qBase + d] = o[n] * inv; }
    }
    if (lane == 0u) { lse[(b * p.seqLen + i) * p.Hq + h] = m + log(l); }
  }
}
