// Blocked Cholesky, step 1 of 3 for the 32x32 diagonal block at k0 (one workgroup): factor it in
// workgroup memory (L11, written back into a's lower triangle) and invert L11 (into invDiag, for
// the panel solve and the triangular inverse). A pivot that is not positive and finite sets
// status[0] = 1 (the caller raises the dampening and starts again) and is replaced by a tiny
// positive value so nothing downstream turns into NaN.
struct Params { n: u32, k0: u32, block: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> invDiag: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<u32>;

const NB = 32u;
var<workgroup> l: array<f32, 1024>;
var<workgroup> inv: array<f32, 1024>;

fn finitePositive(d: f32) -> bool {
  // By the bits: NaN and infinity have an all-ones exponent (comparisons may assume no NaN).
  return (bitcast<u32>(d) & 0x7f800000u) != 0x7f800000u && d > 0.0;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  for (var e = t; e < NB * NB; e += 256u) {
    let i = e / NB;
    let j = e % NB;
    l[e] = select(0.0, a[(p.k0 + i) * p.n + p.k0 + j], j <= i);
  }
  workgroupBarrier();
  for (var j = 0u; j < NB; j++) {
    if (t == 0u) {
      let d = l[j * NB + j];
      let ok = finitePositive(d);
      if (!ok) { status[0] = 1u; }
      l[j * NB + j] = select(1e-18, sqrt(d), ok);
    }
    workgroupBarrier();
    if (t > j && t < NB) { l[t * NB + j] = l[t * NB + j] / l[j * NB + j]; }
    workgroupBarrier();
    for (var e = t; e < NB * NB; e += 256u) {
      let i = e / NB;
      let k = e % NB;
      if (k > j && k <= i) { l[e] -= l[i * NB + j] * l[k * NB + j]; }
    }
    workgroupBarrier();
  }
  // L11⁻¹ by forward substitution, one column per thread.
  if (t < NB) {
    let c = t;
    for (var i = 0u; i < NB; i++) {
      if (i < c) {
        inv[i * NB + c] = 0.0;
      } else {
        var s = select(0.0, 1.0, i == c);
        for (var k = c; k < i; k++) { s -= l[i * NB + k] * inv[k * NB + c]; }
        inv[i * NB + c] = s / l[i * NB + i];
      }
    }
  }
  workgroupBarrier();
  for (var e = t; e < NB * NB; e += 256u) {
    let i = e / NB;
    let j = e % NB;
    if (j <= i) { a[(p.k0 + i) * p.n + p.k0 + j] = l[e]; }
    invDiag[p.block * NB * NB + e] = inv[e];
  }
}
