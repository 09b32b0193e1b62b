// U = J·M·J on the real n x n part of M [N, N] (J reverses the order): the upper Cholesky factor
// of H⁻¹ in the (act-order) column order GPTQ runs in; zeros below the diagonal.
#include "common.wgsl"
struct Params { n: u32, bigN: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  if (id >= p.n * p.n) { return; }
  let i = id / p.n;
  let j = id % p.n;
  u[id] = select(0.0, m[(p.n - 1u - i) * p.bigN + (p.n - 1u - j)], j >= i);
}
