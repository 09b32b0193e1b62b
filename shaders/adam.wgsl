// One Adam step in place (torch.optim.Adam): g = grad*gradScale + weightDecay*param (L2, not AdamW),
// m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2, param -= stepSize * m / (sqrt(v)*invSqrtBc2 + eps)
// with stepSize = lr/(1-b1^step) and invSqrtBc2 = 1/sqrt(1-b2^step), computed in float64 on the CPU.
#include "common.wgsl"
struct Params {
  n: u32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  eps: f32, weightDecay: f32, gradScale: f32, stepSize: f32, invSqrtBc2: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let w = param[i];
  let g = grad[i] * p.gradScale + p.weightDecay * w;
  let mi = p.beta1 * m[i] + p.oneMinusBeta1 * g;
  let vi = p.beta2 * v[i] + p.oneMinusBeta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = w - p.stepSize * mi / (sqrt(vi) * p.invSqrtBc2 + p.eps);
}
