// SwiGLU: y = silu(gate) * up, or (#if BACKWARD) dgate = dy up s (1 + g (1 - s)), dup = dy g s
// with s = sigmoid(g).
// HALF_OUT: also writes the f16 copies of the outputs for the Linears that read them
// (shaders/f16-overflow.wgsl, counted at overflow[p.slot], dup's at overflow[p.slot2]).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
struct Params { n: u32, slot: u32, slot2: u32 }
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
#if HALF_OUT
#if BACKWARD
@group(0) @binding(6) var<storage, read_write> dgate16: array<f16>;
@group(0) @binding(7) var<storage, read_write> dup16: array<f16>;
#else
@group(0) @binding(6) var<storage, read_write> y16: array<f16>;
#endif
@group(0) @binding(8) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
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
  let du = d * g * s;
  let dg = d * up[i] * s * (1.0 + g * (1.0 - s));
  dup[i] = du;
  dgate[i] = dg;
#if HALF_OUT
  dup16[i] = f16Counted(du, p.slot2);
  dgate16[i] = f16Counted(dg, p.slot);
#endif
#else
  let v = g * s * up[i];
  y[i] = v;
#if HALF_OUT
  y16[i] = f16Counted(v, p.slot);
#endif
#endif
}
