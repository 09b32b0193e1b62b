// Per-token cross-entropy of logits x [tokens, vocab] against targets (u32; 0xFFFFFFFF = ignore):
// lse[t] = log-sum-exp of the row, loss[t] = lse - x[t, target] (0 when ignored). One workgroup
// per token. The loss is formed as log1p(r) + (m - x_target) (see softmax-rowstats.wgsl), not
// lse - x_target, so that a confident correct prediction (loss near 0) keeps its relative precision.
#include "softmax-rowstats.wgsl"
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let st = rowStats(base, p.cols, lid);
  if (lid == 0u) {
    let logS = rowLog1p(st.y);
    lse[row] = st.x + logS;
    let y = targets[row];
    var l = 0.0;
    if (y < p.cols) { l = logS + (st.x - x[base + y]); }
    loss[row] = l;
  }
}
