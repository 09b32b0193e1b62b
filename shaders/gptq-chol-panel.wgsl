// Blocked Cholesky, step 2 of 3: the panel below the diagonal block at k0, L21 = A21·L11⁻ᵀ,
// one thread per row (in place in a's lower triangle).
#include "common.wgsl"
struct Params { n: u32, k0: u32, block: u32, rows: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read> invDiag: array<f32>;

const NB = 32u;
var<workgroup> inv: array<f32, 1024>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  for (var e = t; e < NB * NB; e += 64u) { inv[e] = invDiag[p.block * NB * NB + e]; }
  workgroupBarrier();
  let id = flatIndex(gid, nwg, 64u);
  if (id >= p.rows) { return; }
  let base = (p.k0 + NB + id) * p.n + p.k0;
  var x: array<f32, 32>;
  for (var k = 0u; k < NB; k++) { x[k] = a[base + k]; }
  for (var j = 0u; j < NB; j++) {
    var s = 0.0;
    for (var k = 0u; k <= j; k++) { s += x[k] * inv[j * NB + k]; }
    a[base + j] = s;
  }
}
