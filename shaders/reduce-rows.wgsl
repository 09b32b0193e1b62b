// out[r] = sum over c of x[r, c]. One workgroup per row (rows spread over x and y of the grid):
// a strided loop per thread, then a fixed-order tree in workgroup memory, so it is deterministic.
#include "tree-sum.wgsl"
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var s = 0.0;
  for (var c = lid; c < p.cols; c += {{WG}}u) { s += x[base + c]; }
  let total = workgroupTreeSum(s, lid);
  if (lid == 0u) { out[row] = total; }
}
