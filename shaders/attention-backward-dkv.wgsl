// Causal GQA backward, key/value side: for key j of kv head g,
//   dv_j = sum_{h in group} sum_{i >= j} p_ij dout_i,   dk_j = scale * sum_h sum_i ds_ij q_i.
// Workgroup (key block, kv head, batch) owns BR key rows (TPR lanes each) and walks the query
// heads of its group and the query tiles at or after its block, in a fixed order: the sums over
// heads and queries need no atomics and are deterministic. Query and dout tiles sit in shared
// memory (rows padded to D+1); the owned k/v rows are read from global (broadcast over lanes).
#include "attention-common.wgsl"
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
@group(0) @binding(5) var<storage, read> lse: array<f32>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;

const D = {{D}}u;
const KS = {{D}}u + 1u;

var<workgroup> qTile: array<f32, {{BC}} * ({{D}} + 1)>;
var<workgroup> gTile: array<f32, {{BC}} * ({{D}} + 1)>;
var<workgroup> pTile: array<f32, {{BR}} * {{BC}}>;
var<workgroup> dsTile: array<f32, {{BR}} * {{BC}}>;

@compute @workgroup_size({{NT}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let kb = wid.x;
  let g = wid.y;
  let b = wid.z;
  let r = lid / TPR;
  let lane = lid % TPR;
  let j = kb * BR + r;
  let jc = min(j, p.seqLen - 1u);
  let kvOff = ((b * p.seqLen + jc) * p.Hkv + g) * D;
  let qStride = p.Hq * D;
  let firstTile = (kb * BR) / BC;
  let nTiles = (p.seqLen + BC - 1u) / BC;

  var dkAcc: array<f32, NOUT>;
  var dvAcc: array<f32, NOUT>;
  for (var hh = 0u; hh < p.rep; hh++) {
    let h = g * p.rep + hh;
    let qBase = (b * p.seqLen * p.Hq + h) * D;
    for (var qt = firstTile; qt < nTiles; qt++) {
      let i0 = qt * BC;
      for (var e = lid; e < BC * D; e += NT) {
        let i = i0 + e / D;
        var qv = 0.0;
        var gv = 0.0;
        if (i < p.seqLen) {
          qv = q[qBase + i * qStride + e % D];
          gv = dout[qBase + i * qStride + e % D];
        }
        qTile[(e / D) * KS + e % D] = qv;
        gTile[(e / D) * KS + e % D] = gv;
      }
      workgroupBarrier();
      var s = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
      var dp = array<f32, NCOL>(); // explicit: fresh zeros on every iteration
      for (var d = 0u; d < D; d++) {
        let kd = k[kvOff + d];
        let vd = v[kvOff + d];
        for (var c = 0u; c < NCOL; c++) {
          let at = (lane + c * TPR) * KS + d;
          s[c] += kd * qTile[at];
          dp[c] += vd * gTile[at];
        }
      }
      for (var c = 0u; c < NCOL; c++) {
        let ii = lane + c * TPR;
        let i = i0 + ii;
        let stat = (b * p.seqLen + min(i, p.seqLen - 1u)) * p.Hq + h;
        let valid = i < p.seqLen && i >= j;
        let pij = select(0.0, exp(s[c] * p.scale - lse[stat]), valid);
        pTile[r * BC + ii] = pij;
        dsTile[r * BC + ii] = pij * (dp[c] - delta[stat]);
      }
      workgroupBarrier();
      for (var ii = 0u; ii < BC; ii++) {
        let pv = pTile[r * BC + ii];
        let ds = dsTile[r * BC + ii];
        for (var n = 0u; n < NOUT; n++) {
          let d = lane + n * TPR;
          if (d < D) {
            dvAcc[n] += pv * gTile[ii * KS + d];
            dkAcc[n] += ds * qTile[ii * KS + d];
          }
        }
      }
      workgroupBarrier();
    }
  }
  if (j < p.seqLen) {
    for (var n = 0u; n < NOUT; n++) {
      let d = lane + n * TPR;
      if (d < D) {
        dk[kvOff + d] = dkAcc[n] * p.scale;
        dv[kvOff + d] = dvAcc[n];
      }
    }
  }
}
