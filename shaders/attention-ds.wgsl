// The softmax backward of the matmul attention path, element-wise over the scores of each kv group
// [batch*groups, rep*seqLen, seqLen] (layout as in attention-softmax.wgsl): from the recomputed
// scaled scores s and dp = dout·vᵀ,
//   p  = exp(s - lse) for keys j <= i, 0 past the query (causal),
//   ds = p (dp - delta) scale,
// with lse and delta per (token, head) in [batch*seqLen, heads]. Both written in ELEM (f16: the
// tensor-core operands of dv = pᵀ·dout, dq = ds·k and dk = dsᵀ·q; a ds past ±65504 or not finite is
// counted in overflow[slot] and written clamped: shaders/f16-overflow.wgsl). The math is f32.
#if F16
enable f16;
#endif
#include "common.wgsl"
struct Params { n: u32, seqLen: u32, groups: u32, rep: u32, scale: f32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read> dp: array<f32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> delta: array<f32>;
@group(0) @binding(5) var<storage, read_write> probs: array<{{ELEM}}>;
@group(0) @binding(6) var<storage, read_write> ds: array<{{ELEM}}>;
#if F16
@group(0) @binding(7) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flatIndex(gid, nwg, {{WG}}u);
  if (e >= p.n) { return; }
  let j = e % p.seqLen;
  let row = e / p.seqLen;
  let i = row % p.seqLen;
  let rows = p.rep * p.seqLen;
  let bg = row / rows;
  let h = (bg % p.groups) * p.rep + (row % rows) / p.seqLen;
  let r = ((bg / p.groups) * p.seqLen + i) * p.groups * p.rep + h;
  var pij = 0.0;
  if (j <= i) { pij = exp(s[e] - lse[r]); }
  let d = pij * (dp[e] - delta[r]) * p.scale;
  probs[e] = {{ELEM}}(pij);
#if F16
  ds[e] = f16Counted(d, p.slot);
#else
  ds[e] = d;
#endif
}
