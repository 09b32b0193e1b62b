// dα of every TEQ group in one dispatch: grad[outOffset + c] = Σ_r contrib[contribOffset + r·cols + c]
// over the group's stacked member rows, in row order. `table` has one entry per workgroup:
// (contribOffset, rows, cols, outOffset, first column); each invocation sums one column.
struct Params { workgroups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> contrib: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.workgroups) { return; }
  let contribOffset = table[5u * w];
  let rows = table[5u * w + 1u];
  let cols = table[5u * w + 2u];
  let outOffset = table[5u * w + 3u];
  let c = table[5u * w + 4u] + lid;
  if (c >= cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < rows; r++) { s += contrib[contribOffset + r * cols + c]; }
  grad[outOffset + c] = s;
}
