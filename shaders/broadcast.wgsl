// out[r, c] = EXPR(x[r, c], w) for x [rows, cols], where w = vals[c] (PER_COLUMN, a row vector)
// or w = vals[r] (a column vector). INPLACE binds out once and reads x from it.
#include "common.wgsl"
struct Params { n: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if INPLACE
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> vals: array<f32>;
#else
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> vals: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
#if PER_COLUMN
  let w = vals[i % p.cols];
#else
  let w = vals[i / p.cols];
#endif
#if INPLACE
  let x = out[i];
#else
  let x = src[i];
#endif
  out[i] = {{EXPR}};
}
