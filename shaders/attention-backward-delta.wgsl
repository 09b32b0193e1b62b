// delta[t*Hq + h] = sum_d dout[t, h, d] * out[t, h, d]: the row term of the softmax backward.
// SPLIT (the matmul path, ops/attention-matmul.ts): the same pass also writes dout's head split
// [batch*groups, rep*seqLen, D] in ELEM, as attention-heads.wgsl's split (F16: counted in
// overflow[p.slot], shaders/f16-overflow.wgsl), one dispatch instead of two.
#if F16
enable f16;
#endif
#include "common.wgsl"
struct Params { rows: u32, D: u32, seqLen: u32, groups: u32, rep: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> delta: array<f32>;
#if SPLIT
@group(0) @binding(4) var<storage, read_write> split: array<{{ELEM}}>;
#endif
#if F16
@group(0) @binding(5) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flatIndex(gid, nwg, {{WG}}u);
  if (row >= p.rows) { return; }
#if SPLIT
  // row t*heads + h of dout is row hh*seqLen + i of group (b, g), h = g*rep + hh, t = b*seqLen + i
  let heads = p.groups * p.rep;
  let h = row % heads;
  let t = row / heads;
  let dst = (((t / p.seqLen * p.groups + h / p.rep) * p.rep + h % p.rep) * p.seqLen + t % p.seqLen) * p.D;
#endif
  var s = 0.0;
  for (var d = 0u; d < p.D; d++) {
    let g = dout[row * p.D + d];
    s += g * out[row * p.D + d];
#if SPLIT
#if F16
    split[dst + d] = f16Counted(g, p.slot);
#else
    split[dst + d] = g;
#endif
#endif
  }
  delta[row] = s;
}
