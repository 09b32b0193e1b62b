// One pass of a full reduction: workgroup g sums ITEMS*WG consecutive values (coalesced, strided
// by WG) with a fixed-order tree and writes out[g] = sum * p.scale. The first pass maps the input
// (SQUARE: x*x, SQDIFF: (a-b)^2, else x); the wrapper repeats plain passes until one value is left.
#include "common.wgsl"
#include "tree-sum.wgsl"
struct Params { n: u32, groups: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
#if SQDIFF
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#endif

fn load(i: u32) -> f32 {
#if SQDIFF
  let d = a[i] - b[i];
  return d * d;
#else
#if SQUARE
  let v = x[i];
  return v * v;
#else
  return x[i];
#endif
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let g = wid.x + wid.y * nwg.x;
  if (g >= p.groups) { return; }
  let base = g * ({{ITEMS}}u * {{WG}}u);
  var s = 0.0;
  for (var k = 0u; k < {{ITEMS}}u; k++) {
    let i = base + k * {{WG}}u + lid;
    if (i < p.n) { s += load(i); }
  }
  let total = workgroupTreeSum(s, lid);
  if (lid == 0u) { out[g] = total * p.scale; }
}
