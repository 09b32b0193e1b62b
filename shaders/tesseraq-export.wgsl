// The stored result, one invocation per weight: codes = clamp(floor(W/s) + [h > 0.5] + z, 0, qmax)
// (every entry is hard by now; a soft one would round by h > 0.5); per group the tuned scale s·f
// and the zero point z, written by the group's first element.
#include "common.wgsl"
#include "tesseraq-common.wgsl"
struct Params { n: u32, cols: u32, groupSize: u32, nGroups: u32, qmax: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<u32>;
@group(0) @binding(6) var<storage, read_write> codes: array<u32>;
@group(0) @binding(7) var<storage, read_write> scales: array<f32>;
@group(0) @binding(8) var<storage, read_write> zeros: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let c = i % p.cols;
  let gi = (i / p.cols) * p.nGroups + c / p.groupSize;
  let s = sz[gi].x;
  let z = sz[gi].y;
  let h = select(0.0, 1.0, tqH(v[i], state[i]) > 0.5);
  codes[i] = u32(clamp(floor(w[i] / s) + h + z, 0.0, p.qmax));
  if (c % p.groupSize == 0u) {
    scales[gi] = s * 2.0 * tqRectSig(u[gi]);
    zeros[gi] = z;
  }
}
