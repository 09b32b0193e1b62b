// GPTQ's lazy batch update: after the batch [i1, i1 + count), the later columns of the working
// weights w[:, c ≥ i2] −= Err·U[i1:i1+count, c]. 64x64 output tiles, 4x4 per thread, K in
// chunks of 16 through workgroup memory.
struct Params { rows: u32, cols: u32, i1: u32, count: u32, i2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> err: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<f32>;

var<workgroup> es: array<f32, 1024>; // [64 rows][16 k]
var<workgroup> us: array<f32, 1024>; // [16 k][64 cols]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = lid.y * 16u + lid.x;
  let r0 = wid.y * 64u;
  let c0 = p.i2 + wid.x * 64u;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < p.count; k0 += 16u) {
    for (var e = t; e < 1024u; e += 256u) {
      let r = r0 + e / 16u;
      let k = k0 + e % 16u;
      var ev = 0.0;
      if (r < p.rows && k < p.count) { ev = err[r * {{BS}}u + k]; }
      es[e] = ev;
      let k2 = k0 + e / 64u;
      let c = c0 + e % 64u;
      var uv = 0.0;
      if (k2 < p.count && c < p.cols) { uv = u[(p.i1 + k2) * p.cols + c]; }
      us[e] = uv;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let b = vec4<f32>(us[k * 64u + lid.x * 4u], us[k * 64u + lid.x * 4u + 1u], us[k * 64u + lid.x * 4u + 2u], us[k * 64u + lid.x * 4u + 3u]);
      for (var q = 0u; q < 4u; q++) { acc[q] += es[(lid.y * 4u + q) * 16u + k] * b; }
    }
    workgroupBarrier();
  }
  for (var q = 0u; q < 4u; q++) {
    let r = r0 + lid.y * 4u + q;
    if (r >= p.rows) { continue; }
    for (var cc = 0u; cc < 4u; cc++) {
      let c = c0 + lid.x * 4u + cc;
      if (c < p.cols) { w[r * p.cols + c] -= acc[q][cc]; }
    }
  }
}
