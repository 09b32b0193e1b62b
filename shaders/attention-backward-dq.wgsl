// Causal GQA backward, query side: dq_i = scale * sum_j ds_ij k_j with
//   p_ij = exp(scale q_i.k_j - lse_i),  ds_ij = p_ij (dout_i.v_j - delta_i).
// Same layout as attention-forward.wgsl: workgroup (query block, head, batch), BR rows x TPR
// lanes, one shared tile reloaded with values (for dp) and then keys (for s and dq).
#include "attention-common.wgsl"
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;

const D = {{D}}u;
const KS = {{D}}u + 1u;

var<workgroup> tile: array<f32, {{BC}} * ({{D}} + 1)>;
var<workgroup> dsTile: array<f32, {{BR}} * {{BC}}>;

@compute @workgroup_size({{NT}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let qb = wid.x;
  let h = wid.y;
  let b = wid.z;
  let g = h / p.rep;
  let r = lid / TPR;
  let lane = lid % TPR;
  let i = qb * BR + r;
  let ic = min(i, p.seqLen - 1u);
  let row = (b * p.seqLen + ic) * p.Hq + h;
  let qBase = row * D;
  let lseI = lse[row];
  let deltaI = delta[row];
  let kvStride = p.Hkv * D;
  let kvBase = (b * p.seqLen * p.Hkv + g) * D;
  let kEnd = min(p.seqLen, (qb + 1u) * BR);
  let nTiles = (kEnd + BC - 1u) / BC;

  var acc: array<f32, NOUT>;
  for (var kt = 0u; kt < nTiles; kt++) {
    let j0 = kt * BC;
    for (var e = lid; e < BC * D; e += NT) {
      let j = j0 + e / D;
      var val = 0.0;
      if (j < p.seqLen) { val = v[kvBase + j * kvStride + e % D]; }
      tile[(e / D) * KS + e % D] = val;
    }
    workgroupBarrier();
    var dp = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
    for (var d = 0u; d < D; d++) {
      let gd = dout[qBase + d];
      for (var c = 0u; c < NCOL; c++) { dp[c] += gd * tile[(lane + c * TPR) * KS + d]; }
    }
    workgroupBarrier();
    for (var e = lid; e < BC * D; e += NT) {
      let j = j0 + e / D;
      var val = 0.0;
      if (j < p.seqLen) { val = k[kvBase + j * kvStride + e % D]; }
      tile[(e / D) * KS + e % D] = val;
    }
    workgroupBarrier();
    var s = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
    for (var d = 0u; d < D; d++) {
      let qd = q[qBase + d];
      for (var c = 0u; c < NCOL; c++) { s[c] += qd * tile[(lane + c * TPR) * KS + d]; }
    }
    for (var c = 0u; c < NCOL; c++) {
      let jj = lane + c * TPR;
      let pij = select(0.0, exp(s[c] * p.scale - lseI), j0 + jj <= ic);
      dsTile[r * BC + jj] = pij * (dp[c] - deltaI);
    }
    workgroupBarrier();
    for (var jj = 0u; jj < BC; jj++) {
      let ds = dsTile[r * BC + jj];
      for (var n = 0u; n < NOUT; n++) {
        let d = lane + n * TPR;
        if (d < D) { acc[n] += ds * tile[jj * KS + d]; }
      }
    }
    workgroupBarrier();
  }
  if (i < p.seqLen) {
    for (var n = 0u; n < NOUT; n++) {
      let d = lane + n * TPR;
      if (d < D) { dq[qBase + d] = acc[n] * p.scale; }
    }
  }
}
