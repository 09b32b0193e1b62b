// AWQ clip search (LLMC auto_clip v1), one invocation per (row, group): try the range
// [min·(1-i/20), max·(1-i/20)] for i = 0..9, score each by the mean over the sampled tokens of
// (Σ_{c in group} x[t,c]·(w[c] - Q(w)[c]))², keep the best and clamp the group's weights to it.
// GROUP4 (groups of 4·GROUP4 ≤ 128 columns that tile the row): the group's quantization error is
// computed once per candidate instead of once per token, and x is read 16 bytes at a time; the
// products are summed in the same order as the plain loop, so the result is the same.
#include "common.wgsl"
struct Params { rows: u32, cols: u32, groupSize: u32, nGroups: u32, bits: u32, tokens: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if GROUP4
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> bestShrink: array<f32>;

fn fq(v: f32, s: f32, z: f32, qmax: f32) -> f32 {
  return (clamp(round(v / s) + z, 0.0, qmax) - z) * s;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  if (id >= p.rows * p.nGroups) { return; }
  let r = id / p.nGroups;
  let g = id % p.nGroups;
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  let base = r * p.cols;
  var mn = w[base + c0];
  var mx = mn;
  for (var c = c0 + 1u; c < c1; c++) { mn = min(mn, w[base + c]); mx = max(mx, w[base + c]); }
  let qmax = f32((1u << p.bits) - 1u);
  var bestErr = 3.0e38;
  var best = 1.0;
  for (var i = 0u; i < 10u; i++) {
    let k = 1.0 - f32(i) / 20.0;
    let lo = mn * k;
    let hi = mx * k;
    let s = max(hi - lo, 1e-5) / qmax;
    let z = clamp(-round(lo / s), 0.0, qmax);
    var err = 0.0;
#if GROUP4
    var e: array<vec4<f32>, {{GROUP4}}>;
    for (var j = 0u; j < {{GROUP4}}u; j++) {
      let c = base + c0 + 4u * j;
      let v = vec4<f32>(w[c], w[c + 1u], w[c + 2u], w[c + 3u]);
      e[j] = vec4<f32>(v.x - fq(v.x, s, z, qmax), v.y - fq(v.y, s, z, qmax), v.z - fq(v.z, s, z, qmax), v.w - fq(v.w, s, z, qmax));
    }
    let row4 = p.cols / 4u;
    let g4 = c0 / 4u;
    for (var t = 0u; t < p.tokens; t++) {
      var d = 0.0;
      for (var j = 0u; j < {{GROUP4}}u; j++) {
        let xv = x[t * row4 + g4 + j];
        let ev = e[j];
        d += xv.x * ev.x;
        d += xv.y * ev.y;
        d += xv.z * ev.z;
        d += xv.w * ev.w;
      }
      err += d * d;
    }
#else
    for (var t = 0u; t < p.tokens; t++) {
      var d = 0.0;
      for (var c = c0; c < c1; c++) {
        let v = w[base + c];
        d += x[t * p.cols + c] * (v - fq(v, s, z, qmax));
      }
      err += d * d;
    }
#endif
    if (err < bestErr) { bestErr = err; best = k; }
  }
  bestShrink[id] = best;
  let lo = mn * best;
  let hi = mx * best;
  for (var c = c0; c < c1; c++) { w[base + c] = clamp(w[base + c], lo, hi); }
}
