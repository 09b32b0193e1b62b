// out[c] = mean over rows of |x[r, c]|: AWQ's per-input-channel activation magnitude.
// One workgroup per column; rows strided over the workgroup, then a tree reduction.
#include "tree-sum.wgsl"
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x;
  var acc = 0.0;
  for (var r = lid; r < p.rows; r += {{WG}}u) { acc += abs(x[r * p.cols + c]); }
  let total = workgroupTreeSum(acc, lid);
  if (lid == 0u) { out[c] = total / f32(p.rows); }
}
