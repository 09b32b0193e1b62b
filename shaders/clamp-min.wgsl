// x = max(x, lo) in place: keeps TEQ's scales positive (α ≥ 1e-5, as INC clips them).
#include "common.wgsl"
struct Params { n: u32, lo: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  x[i] = max(x[i], p.lo);
}
