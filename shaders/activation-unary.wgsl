// ReLU or (#if GELU) exact-erf GELU, forward y = f(x) or (#if BACKWARD) dx = dy * f'(x).
#include "common.wgsl"
#include "activation-erf.wgsl"
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
#if BACKWARD
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let v = x[i];
#if GELU
#if BACKWARD
  // d/dx [x Phi(x)] = Phi(x) + x phi(x)
  dx[i] = dy[i] * (normalCdf(v) + v * 0.39894228040143268 * exp(-0.5 * v * v));
#else
  y[i] = v * normalCdf(v);
#endif
#else
#if BACKWARD
  dx[i] = select(0.0, dy[i], v > 0.0);
#else
  y[i] = max(v, 0.0);
#endif
#endif
}
