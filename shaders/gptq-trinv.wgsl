// M = L⁻¹ for the blocked lower Cholesky factor L (in a's lower triangle), one 32-row block row
// `bi` per dispatch (rows above it done): workgroup cj < bi computes
//   M[bi, cj] = −L_bi,bi⁻¹ · Σ_{k=cj}^{bi−1} L[bi, k]·M[k, cj]   (32x32 tiles),
// workgroup cj = bi copies the diagonal block's inverse. 4 outputs per thread.
struct Params { n: u32, bi: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> invDiag: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;

const NB = 32u;
var<workgroup> ls: array<f32, 1024>;
var<workgroup> ms: array<f32, 1024>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let cj = wid.x;
  let rowBase = p.bi * NB;
  if (cj == p.bi) {
    for (var e = t; e < NB * NB; e += 256u) { m[(rowBase + e / NB) * p.n + rowBase + e % NB] = invDiag[p.bi * NB * NB + e]; }
    return;
  }
  let c = t % NB;
  let r0 = (t / NB) * 4u;
  var acc = vec4<f32>(0.0);
  for (var kc = cj; kc < p.bi; kc++) {
    for (var e = t; e < NB * NB; e += 256u) {
      let i = e / NB;
      let k = e % NB;
      ls[e] = a[(rowBase + i) * p.n + kc * NB + k];
      ms[e] = m[(kc * NB + i) * p.n + cj * NB + k];
    }
    workgroupBarrier();
    for (var k = 0u; k < NB; k++) {
      acc += ms[k * NB + c] * vec4<f32>(ls[r0 * NB + k], ls[(r0 + 1u) * NB + k], ls[(r0 + 2u) * NB + k], ls[(r0 + 3u) * NB + k]);
    }
    workgroupBarrier();
  }
  ls[r0 * NB + c] = acc.x;
  ls[(r0 + 1u) * NB + c] = acc.y;
  ls[(r0 + 2u) * NB + c] = acc.z;
  ls[(r0 + 3u) * NB + c] = acc.w;
  for (var e = t; e < NB * NB; e += 256u) { ms[e] = invDiag[p.bi * NB * NB + e]; }
  workgroupBarrier();
  for (var q = 0u; q < 4u; q++) {
    let r = r0 + q;
    var s = 0.0;
    for (var k = 0u; k <= r; k++) { s += ms[r * NB + k] * ls[k * NB + c]; }
    m[(rowBase + r) * p.n + cj * NB + c] = -s;
  }
}
