// Hardening, one invocation per weight: a soft entry whose confidence bin is above thr[0] (or
// every soft entry with p.all = 1) becomes hard in the direction of h: state 2 if h > 0.5, else 1.
#include "common.wgsl"
#include "tesseraq-common.wgsl"
struct Params { n: u32, all: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<u32>;
@group(0) @binding(3) var<storage, read> thr: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n || state[i] != 0u) { return; }
  let h = tqRectSig(v[i]);
  if (p.all == 1u || tqBin(h) > thr[0]) { state[i] = select(1u, 2u, h > 0.5); }
}
