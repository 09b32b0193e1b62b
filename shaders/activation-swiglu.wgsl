// SwiGLU: y = silu(gate) * up, or (#if BACKWARD) dgate = dy up s (1 + g (1 - s)), dup = dy g s
// with s = sigmoid(g).
// SIDE_BY_SIDE: gate and up are the two halves of each row of one [T, 2*width] tensor `gateUp` (the
// product of the two Linears' weights stacked), and the backward writes dgate and dup the same way
// into `dGateUp` (the operand of their stacked products): the same arithmetic.
// HALF_OUT: also writes the f16 copies of the outputs for the Linears that read them
// (shaders/f16-overflow.wgsl, counted at overflow[p.slot], dup's at overflow[p.slot2]; side by
// side, one copy dGateUp16 counted at p.slot).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
struct Params { n: u32, slot: u32, slot2: u32, width: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if BACKWARD
@group(0) @binding(1) var<storage, read> dy: array<f32>;
#endif
#if SIDE_BY_SIDE
@group(0) @binding(2) var<storage, read> gateUp: array<f32>;
#else
@group(0) @binding(2) var<storage, read> gate: array<f32>;
@group(0) @binding(3) var<storage, read> up: array<f32>;
#endif
#if BACKWARD
#if SIDE_BY_SIDE
@group(0) @binding(4) var<storage, read_write> dGateUp: array<f32>;
#else
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;
#endif
#else
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
#endif
#if HALF_OUT
#if BACKWARD
#if SIDE_BY_SIDE
@group(0) @binding(6) var<storage, read_write> dGateUp16: array<f16>;
#else
@group(0) @binding(6) var<storage, read_write> dgate16: array<f16>;
@group(0) @binding(7) var<storage, read_write> dup16: array<f16>;
#endif
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
#if SIDE_BY_SIDE
  // element j of token t: gate at column j of row t, up at column width + j
  let gi = (i / p.width) * 2u * p.width + i % p.width;
  let g = gateUp[gi];
  let u = gateUp[gi + p.width];
#else
  let g = gate[i];
  let u = up[i];
#endif
  // exp(-g) overflows to +inf for g < -88: s becomes 0, which is the right limit.
  let s = 1.0 / (1.0 + exp(-g));
#if BACKWARD
  let d = dy[i];
  let du = d * g * s;
  let dg = d * u * s * (1.0 + g * (1.0 - s));
#if SIDE_BY_SIDE
  dGateUp[gi + p.width] = du;
  dGateUp[gi] = dg;
#if HALF_OUT
  dGateUp16[gi + p.width] = f16Counted(du, p.slot);
  dGateUp16[gi] = f16Counted(dg, p.slot);
#endif
#else
  dup[i] = du;
  dgate[i] = dg;
#if HALF_OUT
  dup16[i] = f16Counted(du, p.slot2);
  dgate16[i] = f16Counted(dg, p.slot);
#endif
#endif
#else
  let v = g * s * u;
  y[i] = v;
#if HALF_OUT
  y16[i] = f16Counted(v, p.slot);
#endif
#endif
}
