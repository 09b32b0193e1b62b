// out = EXPR(x) element-wise; p.s is a scalar for EXPR. INPLACE binds only out (x read from it).
#include "common.wgsl"
struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
#if INPLACE
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
#if INPLACE
  let x = out[i];
#else
  let x = src[i];
#endif
  out[i] = {{EXPR}};
}
