// dlogits[t, v] = scale * (exp(x[t, v] - lse[t]) - [v == target[t]]), zero rows where the target
// is ignored (any id >= vocab, e.g. 0xFFFFFFFF). INPLACE overwrites the logits buffer itself.
#include "common.wgsl"
struct Params { n: u32, cols: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
#if INPLACE
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
#else
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
#if ROWS2D
  // Grid (column blocks, rows): no integer division, and the row's target and lse are uniform.
  let t = wid.y;
  let v = gid.x;
  if (v >= p.cols) { return; }
  let i = t * p.cols + v;
#else
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let t = i / p.cols;
  let v = i - t * p.cols;
#endif
  let y = targets[t];
#if INPLACE
  let z = out[i];
#else
  let z = logits[i];
#endif
  var d = 0.0;
  if (y < p.cols) {
    d = exp(z - lse[t]);
    if (v == y) { d -= 1.0; }
    d *= p.scale;
  }
  out[i] = d;
}
