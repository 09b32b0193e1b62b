// delta[t*Hq + h] = sum_d dout[t, h, d] * out[t, h, d]: the row term of the softmax backward.
#include "common.wgsl"
struct Params { rows: u32, D: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> delta: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg, {{WG}}u);
  if (row >= p.rows) { return; }
  var s = 0.0;
  for (var d = 0u; d < p.D; d++) { s += dout[row * p.D + d] * out[row * p.D + d]; }
  delta[row] = s;
}
