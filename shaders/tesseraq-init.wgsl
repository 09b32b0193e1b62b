// TesseraQ initialisation, one invocation per weight: v = rectsig⁻¹(frac(W/s)) so that h0 = frac
// and the soft weight starts at W; state = soft; the group's first element packs (s, z) into sz.
#include "common.wgsl"
struct Params { n: u32, cols: u32, groupSize: u32, nGroups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> scales: array<f32>;
@group(0) @binding(3) var<storage, read> zeros: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<u32>;
@group(0) @binding(6) var<storage, read_write> sz: array<vec2<f32>>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let c = i % p.cols;
  let gi = (i / p.cols) * p.nGroups + c / p.groupSize;
  let s = scales[gi];
  let t = w[i] / s;
  let frac = t - floor(t);
  v[i] = -log(1.2 / (frac + 0.1) - 1.0);
  state[i] = 0u;
  if (c % p.groupSize == 0u) { sz[gi] = vec2<f32>(s, zeros[gi]); }
}
