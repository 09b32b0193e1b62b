// out = EXPR(x, y) element-wise, with x from a and y from b; p.s is a scalar for EXPR (axpy).
// WebGPU forbids binding one buffer as both read and read_write in a dispatch, so the in-place
// variants bind the output once and read the aliased operand from it.
#include "common.wgsl"
struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
#if SEPARATE
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
#if INPLACE_A
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
#endif
#if INPLACE_B
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
#endif
#if INPLACE_AB
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
#if SEPARATE
  let x = a[i];
  let y = b[i];
#endif
#if INPLACE_A
  let x = out[i];
  let y = b[i];
#endif
#if INPLACE_B
  let x = a[i];
  let y = out[i];
#endif
#if INPLACE_AB
  let x = out[i];
  let y = x;
#endif
  out[i] = {{EXPR}};
}
