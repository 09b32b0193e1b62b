// TesseraQ gradients from dL/dŴ, one workgroup per (row, group) (deterministic tree reduction):
//   dv = dŴ·s·f·[0 ≤ floor(W/s)+h+z ≤ qmax]·rectsig'(v)   (0 for hard entries)
//   du = Σ_group dŴ·(q − z)·s · 2·rectsig'(u)
#include "tesseraq-common.wgsl"
#include "tree-sum.wgsl"
struct Params { rows: u32, cols: u32, groupSize: u32, nGroups: u32, qmax: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<u32>;
@group(0) @binding(6) var<storage, read> dW: array<f32>;
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;
@group(0) @binding(8) var<storage, read_write> du: array<f32>;


@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gi = wid.x + wid.y * nwg.x;
  if (gi >= p.rows * p.nGroups) { return; } // whole workgroup: uniform
  let r = gi / p.nGroups;
  let c0 = (gi % p.nGroups) * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  let s = sz[gi].x;
  let z = sz[gi].y;
  let uu = u[gi];
  let f = 2.0 * tqRectSig(uu);
  var acc = 0.0;
  for (var c = c0 + lid; c < c1; c += {{WG}}u) {
    let i = r * p.cols + c;
    let x = tqCode(w[i], s, z, v[i], state[i]);
    dv[i] = tqDv(dW[i], x, s, f, v[i], state[i], p.qmax);
    acc += tqDuTerm(dW[i], x, s, z, p.qmax);
  }
  let total = workgroupTreeSum(acc, lid);
  if (lid == 0u) { du[gi] = total * 2.0 * tqRectSigGrad(uu); }
}
