// The diagonal of a square matrix h [n, n] (GPTQ reads it back: dead columns, dampening, act-order).
#include "common.wgsl"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read_write> diag: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  diag[i] = h[i * p.n + i];
}
