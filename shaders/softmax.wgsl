// Row softmax of x [rows, cols] (out [rows, cols]) or, with LSE, the row log-sum-exp (out [rows]).
// One workgroup per row (rows spread over x and y of the grid); cols may be a whole vocabulary.
#include "softmax-rowstats.wgsl"
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
  let st = rowStats(base, p.cols, lid);
#if LSE
  if (lid == 0u) { out[row] = st.x + rowLog1p(st.y); }
#else
  let inv = 1.0 / (1.0 + st.y);
  for (var c = lid; c < p.cols; c += {{WG}}u) { out[base + c] = exp(x[base + c] - st.x) * inv; }
#endif
}
