// GPTQ's Hessian as the Cholesky kernels want it: a [N, N] (N = n rounded up to 32) with
//   a[i][j] = H[perm[n−1−i]][perm[n−1−j]] for i, j < n   (act-order permutation, then reversed),
//   a dead diagonal (0) set to 1 and `damp` added to every diagonal entry of the real part,
//   the identity in the padding (a separate block: it leaves the real part's factors alone).
// Reversing the order turns the lower Cholesky factor L of a into the upper factor of H⁻¹:
// with J the reversal, H = (J·L·J)(J·L·J)ᵀ, so H⁻¹ = Uᵀ·U with U = J·L⁻¹·J upper.
#include "common.wgsl"
struct Params { n: u32, bigN: u32, damp: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> a: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  if (id >= p.bigN * p.bigN) { return; }
  let i = id / p.bigN;
  let j = id % p.bigN;
  if (i >= p.n || j >= p.n) {
    a[id] = select(0.0, 1.0, i == j);
    return;
  }
  let pi = perm[p.n - 1u - i];
  let pj = perm[p.n - 1u - j];
  var v = h[pi * p.n + pj];
  if (i == j) {
    if (v == 0.0) { v = 1.0; }
    v += p.damp;
  }
  a[id] = v;
}
