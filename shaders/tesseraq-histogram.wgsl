// Confidence histogram of one Linear, one invocation per weight: hist[bin(|h − 0.5|)] += 1.
// Hard and saturated entries all land in the last bin; they are counted per workgroup first so
// late rounds (99% hard) do not serialise on one global atomic. u32 counts: deterministic.
#include "common.wgsl"
#include "tesseraq-common.wgsl"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> state: array<u32>;
@group(0) @binding(3) var<storage, read_write> hist: array<atomic<u32>>;

var<workgroup> lastBin: atomic<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i < p.n) {
    let b = tqBin(tqH(v[i], state[i]));
    if (b == TQ_BINS - 1u) { atomicAdd(&lastBin, 1u); } else { atomicAdd(&hist[b], 1u); }
  }
  workgroupBarrier();
  if (lid == 0u) {
    let c = atomicLoad(&lastBin);
    if (c > 0u) { atomicAdd(&hist[TQ_BINS - 1u], c); }
  }
}
