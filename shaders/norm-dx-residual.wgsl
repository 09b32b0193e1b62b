// Input gradient of RMSNorm or (#if LAYERNORM) LayerNorm plus (#if RESIDUAL) the gradient that
// reaches the same tensor through a residual connection, one workgroup per token row:
//   RMSNorm:   dx = residual + r (g - x r^2 mean(g x)),                g = dy * w
//   LayerNorm: dx = residual + r (g - mean(g) - xhat mean(g xhat)),    xhat = (x - mean) r
// Training only needs dx of a block's norms (their weights are frozen): no weight gradient, and
// the residual add that follows every norm backward is done here instead of in its own dispatch.
// HALF_OUT: also writes dx's f16 copy for the Linear products that read it next
// (shaders/f16-overflow.wgsl, counted at overflow[p.slot]).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "tree-sum.wgsl"
struct Params { T: u32, C: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> rstdIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
#if LAYERNORM
@group(0) @binding(6) var<storage, read> meanIn: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding({{B_RESIDUAL}}) var<storage, read> residual: array<f32>;
#endif
#if HALF_OUT
@group(0) @binding(8) var<storage, read_write> dx16: array<f16>;
@group(0) @binding(9) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

fn store(i: u32, v: f32) {
#if RESIDUAL
  let s = residual[i] + v;
#else
  let s = v;
#endif
  dx[i] = s;
#if HALF_OUT
  dx16[i] = f16Counted(s, p.slot);
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.T) { return; }
  let base = row * p.C;
  let n = f32(p.C);
  let r = rstdIn[row];
#if LAYERNORM
  let mean = meanIn[row];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = lid; c < p.C; c += {{WG}}u) {
    let g = dy[base + c] * weight[c];
    sg += g;
    sgx += g * (x[base + c] - mean) * r;
  }
  let meanG = workgroupTreeSum(sg, lid) / n;
  let meanGX = workgroupTreeSum(sgx, lid) / n;
  for (var c = lid; c < p.C; c += {{WG}}u) {
    let xhat = (x[base + c] - mean) * r;
    store(base + c, r * (dy[base + c] * weight[c] - meanG - xhat * meanGX));
  }
#else
  var sgx = 0.0;
  for (var c = lid; c < p.C; c += {{WG}}u) { sgx += dy[base + c] * weight[c] * x[base + c]; }
  let k = r * r * workgroupTreeSum(sgx, lid) / n;
  for (var c = lid; c < p.C; c += {{WG}}u) {
    store(base + c, r * (dy[base + c] * weight[c] - x[base + c] * k));
  }
#endif
}
