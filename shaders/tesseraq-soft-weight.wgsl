// TesseraQ soft weight, one invocation per weight:
//   q = clamp(floor(W/s) + h + z, 0, qmax),  Ŵ = (q − z)·s·f,  f = 2·rectsig(u) per group.
// HALF_OUT: also writes Ŵ's f16 copy (shaders/f16-overflow.wgsl, counted at overflow[p.slot]).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "tesseraq-common.wgsl"
struct Params { n: u32, cols: u32, groupSize: u32, nGroups: u32, qmax: f32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> u: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<u32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
#if HALF_OUT
@group(0) @binding(7) var<storage, read_write> out16: array<f16>;
@group(0) @binding(8) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let gi = (i / p.cols) * p.nGroups + (i % p.cols) / p.groupSize;
  let s = sz[gi].x;
  let z = sz[gi].y;
  let q = clamp(tqCode(w[i], s, z, v[i], state[i]), 0.0, p.qmax);
  let sw = (q - z) * s * (2.0 * tqRectSig(u[gi]));
  out[i] = sw;
#if HALF_OUT
  out16[i] = f16Counted(sw, p.slot);
#endif
}
