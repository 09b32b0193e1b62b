// W[r, c] = (code - zero[r, g]) * scale[r, g] with g = c / groupSize, or g = gIdx[c] (G_IDX: GPTQ's
// act-order groups): the evaluation path runs on exactly the stored integer codes, scales and zero points.
#include "common.wgsl"
struct Params { rows: u32, cols: u32, groupSize: u32, nGroups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> codes: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> zeros: array<f32>;
@group(0) @binding(4) var<storage, read_write> w: array<f32>;
#if G_IDX
@group(0) @binding(5) var<storage, read> gIdx: array<u32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
#if G_IDX
  let g = gIdx[i % p.cols];
#else
  let g = (i % p.cols) / p.groupSize;
#endif
  let k = r * p.nGroups + g;
  w[i] = (f32(codes[i]) - zeros[k]) * scales[k];
}
