// Causal row softmax of the matmul attention path: x holds the scaled scores of each kv group,
// [batch*groups, rep*seqLen, seqLen] (ops/attention-matmul.ts; row hh*seqLen + i of group (b, g) is
// query i of head g*rep + hh). Row i sees keys 0..i: p = exp(x - lse) there and 0 past it, written
// in ELEM (f32, or f16 for the tensor-core product P·V); lse = log-sum-exp over keys 0..i, written
// to [batch*seqLen, heads] as the flash kernels write it. One workgroup per row.
#if F16
enable f16;
#endif
#include "softmax-rowstats.wgsl"
struct Params { rows: u32, seqLen: u32, groups: u32, rep: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= p.rows) { return; }
  let i = row % p.seqLen;
  let base = row * p.seqLen;
  let st = rowStats(base, i + 1u, lid);
  let inv = 1.0 / (1.0 + st.y);
  for (var c = lid; c < p.seqLen; c += {{WG}}u) {
    var v = 0.0;
    if (c <= i) { v = exp(x[base + c] - st.x) * inv; }
    probs[base + c] = {{ELEM}}(v);
  }
  if (lid == 0u) {
    let rows = p.rep * p.seqLen;
    let bg = row / rows;
    let h = (bg % p.groups) * p.rep + (row % rows) / p.seqLen;
    let t = (bg / p.groups) * p.seqLen + i;
    lse[t * p.groups * p.rep + h] = st.x + rowLog1p(st.y);
  }
}
