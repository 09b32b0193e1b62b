// Blocked Cholesky, step 3 of 3: the trailing update A22 −= L21·L21ᵀ on the lower triangle's
// 32x32 tiles (tile (ti, tj), tj ≤ ti, from the flat workgroup index), 4 outputs per thread.
struct Params { n: u32, k0: u32, tiles: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;

const NB = 32u;
var<workgroup> li: array<f32, 1024>;
var<workgroup> lj: array<f32, 1024>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let l = wid.x + wid.y * nwg.x;
  var ti = u32((sqrt(8.0 * f32(l) + 1.0) - 1.0) * 0.5);
  if ((ti + 1u) * (ti + 2u) / 2u <= l) { ti += 1u; }
  if (ti * (ti + 1u) / 2u > l) { ti -= 1u; }
  let tj = l - ti * (ti + 1u) / 2u;
  if (ti >= p.tiles) { return; }
  let ri = p.k0 + NB + ti * NB;
  let rj = p.k0 + NB + tj * NB;
  for (var e = t; e < NB * NB; e += 256u) {
    let r = e / NB;
    let c = e % NB;
    li[e] = a[(ri + r) * p.n + p.k0 + c];
    lj[e] = a[(rj + r) * p.n + p.k0 + c];
  }
  workgroupBarrier();
  let r = t / 8u;
  let c0 = (t % 8u) * 4u;
  var acc = vec4<f32>(0.0);
  for (var k = 0u; k < NB; k++) {
    acc += li[r * NB + k] * vec4<f32>(lj[c0 * NB + k], lj[(c0 + 1u) * NB + k], lj[(c0 + 2u) * NB + k], lj[(c0 + 3u) * NB + k]);
  }
  let o = (ri + r) * p.n + rj + c0;
  a[o] -= acc.x;
  a[o + 1u] -= acc.y;
  a[o + 2u] -= acc.z;
  a[o + 3u] -= acc.w;
}
