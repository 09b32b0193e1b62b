// GPTQ's working weights: columns in the order they are quantized (act-order permutation, else
// the identity), dead input channels (never active in calibration) zeroed.
#include "common.wgsl"
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> perm: array<u32>;
@group(0) @binding(3) var<storage, read> dead: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  if (id >= p.rows * p.cols) { return; }
  let r = id / p.cols;
  let src = perm[id % p.cols];
  out[id] = select(w[r * p.cols + src], 0.0, dead[src] != 0u);
}
