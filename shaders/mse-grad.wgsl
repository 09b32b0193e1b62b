// Squared-error loss and its gradient in one pass over a, b (same size n):
//   grad[i] = (a[i] − b[i])·gradScale;  workgroup g writes partial[g] = Σ its (a − b)² (fixed-order tree).
// #if FINAL: one workgroup sums values[0..groups) (the partials, or any vector) in a fixed order and writes loss[slot] = Σ·lossScale.
#include "common.wgsl"
#include "tree-sum.wgsl"
struct Params { n: u32, groups: u32, gradScale: f32, lossScale: f32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if FINAL
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
#endif
@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
#if FINAL
  var s = 0.0;
  for (var i = lid; i < p.groups; i += {{WG}}u) { s += values[i]; }
  let total = workgroupTreeSum(s, lid);
  if (lid == 0u) { loss[p.slot] = total * p.lossScale; }
#else
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let base = g * ({{ITEMS}}u * {{WG}}u);
  var s = 0.0;
  for (var k = 0u; k < {{ITEMS}}u; k++) {
    let i = base + k * {{WG}}u + lid;
    if (i < p.n) {
      let d = a[i] - b[i];
      grad[i] = d * p.gradScale;
      s += d * d;
    }
  }
  let total = workgroupTreeSum(s, lid);
  if (lid == 0u) { partials[g] = total; }
#endif
}
