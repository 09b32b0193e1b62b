// out = f16(src) element-wise, for f16 matmul operands. An element whose magnitude rounds past
// f16's largest finite value (65504), or that is not finite, is counted in overflow[p.slot] and
// written clamped to ±65504 (never Inf; shaders/f16-overflow.wgsl): the caller reads the count and
// keeps that tensor in f32.
enable f16;
#include "common.wgsl"
struct Params { n: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f16>;
@group(0) @binding(3) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let x = src[i];
  out[i] = f16Counted(x, p.slot);
}
