// The layout copies of the matmul attention path (ops/attention-matmul.ts). Token-major x
// [T, H*D] (T = batch*seqLen, H = groups*rep heads) and group-major y [batch*groups, rep*seqLen, D]:
// the rep query heads of one kv group stacked along rows, row hh*seqLen + i of group (b, g) being
// token b*seqLen + i of head g*rep + hh (k and v: rep = 1).
// SPLIT: y = x in ELEM; f16 values past ±65504 or not finite are counted in overflow[slot] and
// written clamped (shaders/f16-overflow.wgsl). Otherwise (merge, f32): x = y, and with HALF_OUT
// (and F16) x's f16 copy too, for the Linear product that reads x (counted the same way).
#if F16
enable f16;
#endif
#include "common.wgsl"
struct Params { n: u32, seqLen: u32, groups: u32, rep: u32, D: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<{{ELEM}}>;
#if F16
@group(0) @binding(3) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif
#if HALF_OUT
@group(0) @binding(4) var<storage, read_write> out16: array<f16>;
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flatIndex(gid, nwg, {{WG}}u);
  if (e >= p.n) { return; }
  let d = e % p.D;
  let row = e / p.D;
  let rows = p.rep * p.seqLen;
  let r = row % rows;
  let bg = row / rows;
  let hh = r / p.seqLen;
  let i = r % p.seqLen;
  let b = bg / p.groups;
  let g = bg % p.groups;
  let t = ((b * p.seqLen + i) * p.groups + g) * p.rep + hh;
  let xi = t * p.D + d;
#if SPLIT
  let x = src[xi];
#if F16
  out[e] = f16Counted(x, p.slot);
#else
  out[e] = x;
#endif
#else
  let y = src[e];
  out[xi] = y;
#if HALF_OUT
  out16[xi] = f16Counted(y, p.slot);
#endif
#endif
}
