// Per-Linear counts, one invocation per weight, added at stats[2·slot] (hard entries) and
// stats[2·slot + 1] (rounding direction h > 0.5 differs from round-to-nearest frac(W/s) ≥ 0.5).
#include "common.wgsl"
#include "tesseraq-common.wgsl"
struct Params { n: u32, cols: u32, groupSize: u32, nGroups: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> state: array<u32>;
@group(0) @binding(5) var<storage, read_write> stats: array<atomic<u32>>;

var<workgroup> hard: atomic<u32>;
var<workgroup> flips: atomic<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i < p.n) {
    let gi = (i / p.cols) * p.nGroups + (i % p.cols) / p.groupSize;
    let t = w[i] / sz[gi].x;
    let up = tqH(v[i], state[i]) > 0.5;
    if (state[i] != 0u) { atomicAdd(&hard, 1u); }
    if (up != (t - floor(t) >= 0.5)) { atomicAdd(&flips, 1u); }
  }
  workgroupBarrier();
  if (lid == 0u) {
    atomicAdd(&stats[2u * p.slot], atomicLoad(&hard));
    atomicAdd(&stats[2u * p.slot + 1u], atomicLoad(&flips));
  }
}
