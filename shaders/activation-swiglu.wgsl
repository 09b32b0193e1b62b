// SwiGLU: y = silu(gate) * up, or (#if BACKWARD) dgate = dy up s (1 + g (1 - s)), dup = dy g s
// with s = sigmoid(g).
#include "common.wgsl"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if BACKWARD
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;
#else
@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let g = gate[i];
  // exp(-g) overflows to +inf for g < -88: s becomes 0, which is the right limit.
  let s = 1.0 / (1.0 + exp(-g));
#if BACKWARD
  let d = dy[i];
  dup[i] = d * g * s;
  dgate[i] = d * up[i] * s * (1.0 + g * (1.0 - s));
#else
  y[i] = g * s * up[i];
#endif
}
