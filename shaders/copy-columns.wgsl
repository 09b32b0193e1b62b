// dst[r, dstCol + c] = src[r, srcCol + c] for r < rows, c < cols: a block of columns of one
// row-major matrix into another (the LM head's logits by vocabulary range, model/vocab-shards.ts).
#include "common.wgsl"
struct Params { n: u32, cols: u32, srcWidth: u32, srcCol: u32, dstWidth: u32, dstCol: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let r = i / p.cols;
  let c = i - r * p.cols;
  dst[r * p.dstWidth + p.dstCol + c] = src[r * p.srcWidth + p.srcCol + c];
}
