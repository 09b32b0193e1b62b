// Second pass of a split-K matmul: out = (ACCUMULATE ? out : 0) + alpha * Σ_s part[b, s] + bias,
// where part is the [batch, splits, M, N] workspace shaders/matmul.wgsl wrote (splits > 1).
#include "common.wgsl"
struct Params {
  total: u32, // batch * M * N
  mn: u32, // M * N
  n: u32, // N (bias index = column)
  splits: u32,
  alpha: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#if HAS_BIAS
@group(0) @binding(3) var<storage, read> bias: array<f32>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.total) { return; }
  let b = i / p.mn;
  let j = i % p.mn;
  let base = b * p.splits * p.mn + j;
  var s = 0.0;
  for (var t = 0u; t < p.splits; t++) { s += part[base + t * p.mn]; }
  var v = p.alpha * s;
#if HAS_BIAS
  v += bias[j % p.n];
#endif
#if ACCUMULATE
  v += out[i];
#endif
  out[i] = v;
}
