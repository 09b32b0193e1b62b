// out[i] = the low bytes of src[4i .. 4i+3], little-endian (src[4i] in the lowest byte); past the
// end, zero bytes. Integer codes (at most 8 bits) leave the GPU a quarter of their u32 size.
#include "common.wgsl"
struct Params { n: u32, words: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.words) { return; }
  var word = 0u;
  for (var b = 0u; b < 4u; b++) {
    let j = 4u * i + b;
    if (j < p.n) { word |= (src[j] & 0xffu) << (8u * b); }
  }
  out[i] = word;
}
