// out[t, c] = table[ids[t], c]; ids outside the table (e.g. 0xFFFFFFFF padding) give a zero row.
#include "common.wgsl"
struct Params { n: u32, cols: u32, vocab: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let t = i / p.cols;
  let c = i - t * p.cols;
  let id = ids[t];
  var v = 0.0;
  if (id < p.vocab) { v = table[id * p.cols + c]; }
  out[i] = v;
}
