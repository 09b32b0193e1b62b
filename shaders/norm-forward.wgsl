// RMSNorm or (#if LAYERNORM) LayerNorm forward: one workgroup per token row of x[T, C].
// Saves per-row statistics for backward: rstd (and mean for LayerNorm).
// HALF_OUT: also writes y's f16 copy for the Linears that read y (shaders/f16-overflow.wgsl: the
// value and count shaders/cast-f16.wgsl would give, counted at overflow[p.slot]).
// ADD: the norm of x + addend (a residual connection), which it also writes to sum: one pass
// instead of an element-wise add before the norm (the same f32 sum, so the same bits).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "tree-sum.wgsl"
struct Params { T: u32, C: u32, eps: f32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstdOut: array<f32>;
#if LAYERNORM
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> meanOut: array<f32>;
#endif
#if HALF_OUT
@group(0) @binding(7) var<storage, read_write> y16: array<f16>;
@group(0) @binding(8) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif
#if ADD
@group(0) @binding(9) var<storage, read> addend: array<f32>;
@group(0) @binding(10) var<storage, read_write> sum: array<f32>;
#endif
#include "f16-copy-store.wgsl"

// the normalised row's element i (the first pass over a row also stores it: firstPass)
fn xAt(i: u32, firstPass: bool) -> f32 {
#if ADD
  let v = x[i] + addend[i];
  if (firstPass) { sum[i] = v; }
  return v;
#else
  return x[i];
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.T) { return; }
  let base = row * p.C;
  let n = f32(p.C);
#if LAYERNORM
  var s = 0.0;
  for (var c = lid; c < p.C; c += {{WG}}u) { s += xAt(base + c, true); }
  let mean = workgroupTreeSum(s, lid) / n;
  // Second pass over (x - mean): no cancellation for rows with a large mean.
  var v = 0.0;
  for (var c = lid; c < p.C; c += {{WG}}u) { let d = xAt(base + c, false) - mean; v += d * d; }
  let rstd = inverseSqrt(workgroupTreeSum(v, lid) / n + p.eps);
  for (var c = lid; c < p.C; c += {{WG}}u) {
    store(base + c, (xAt(base + c, false) - mean) * rstd * weight[c] + bias[c]);
  }
  if (lid == 0u) { meanOut[row] = mean; rstdOut[row] = rstd; }
#else
  var ss = 0.0;
  for (var c = lid; c < p.C; c += {{WG}}u) { let xv = xAt(base + c, true); ss += xv * xv; }
  let rstd = inverseSqrt(workgroupTreeSum(ss, lid) / n + p.eps);
  for (var c = lid; c < p.C; c += {{WG}}u) { store(base + c, xAt(base + c, false) * rstd * weight[c]); }
  if (lid == 0u) { rstdOut[row] = rstd; }
#endif
}
