// Rotary position embedding on x[T, heads*D]: one thread per rotated pair (token, head, i).
// cos/sin come from a table [positions, D/2] built on the CPU (float64, rounded once to f32).
// #if HALF pairs (i, i + D/2) (HF); otherwise (2i, 2i+1) (Meta/GGUF). #if INVERSE turns by -angle
// (shaders/rope-common.wgsl).
// HALF_OUT: also writes y's f16 copy for the Linear products that read it (shaders/f16-overflow.wgsl,
// counted at overflow[p.slot]); with SPLIT_OUT in the matmul attention path's group-major layout
// [batch*groups, rep*seqLen, D] (as attention-heads.wgsl's split: groups = heads / rep).
// SPLIT_IN: x is in that group-major layout (the matmul attention path's dq or dk, unmerged); y
// stays token-major.
// PAIR: a second tensor in the same dispatch (q's and k's: its own heads, rep and slot), pairs
// [p.pairs, p.pairs + p.pairs2) of the grid; the same arithmetic as a dispatch of its own.
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "rope-common.wgsl"
struct Params { pairs: u32, heads: u32, D: u32, seqLen: u32, offset: u32, slot: u32, rep: u32, pairs2: u32, heads2: u32, rep2: u32, slot2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#if HALF_OUT
@group(0) @binding(4) var<storage, read_write> y16: array<f16>;
@group(0) @binding(5) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif
#if PAIR
@group(0) @binding(6) var<storage, read> x2: array<f32>;
@group(0) @binding(7) var<storage, read_write> y2: array<f32>;
#if HALF_OUT
@group(0) @binding(8) var<storage, read_write> y216: array<f16>;
#endif
#endif

// The tensor a thread turns: the first, or (PAIR) the second.
struct Part { second: bool, heads: u32, rep: u32, slot: u32 }

fn load(part: Part, i: u32) -> f32 {
#if SPLIT_IN
  let j = ropeSplitIndex(i, part.heads, part.rep, p.D, p.seqLen);
#else
  let j = i;
#endif
#if PAIR
  if (part.second) { return x2[j]; }
#endif
  return x[j];
}

fn store(part: Part, i: u32, v: f32) {
#if HALF_OUT
#if SPLIT_OUT
  let c = ropeSplitIndex(i, part.heads, part.rep, p.D, p.seqLen);
#else
  let c = i;
#endif
#endif
#if PAIR
  if (part.second) {
    y2[i] = v;
#if HALF_OUT
    y216[c] = f16Counted(v, part.slot);
#endif
    return;
  }
#endif
  y[i] = v;
#if HALF_OUT
  y16[c] = f16Counted(v, part.slot);
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var idx = flatIndex(gid, nwg, {{WG}}u);
  var part = Part(false, p.heads, p.rep, p.slot);
  if (idx >= p.pairs) {
#if PAIR
    idx -= p.pairs;
    if (idx >= p.pairs2) { return; }
    part = Part(true, p.heads2, p.rep2, p.slot2);
#else
    return;
#endif
  }
  let r = ropePair(idx, part.heads, p.D, p.seqLen, p.offset);
  let a = r.a;
  let b = r.b;
  let x0 = load(part, a);
  let x1 = load(part, b);
  store(part, a, x0 * r.c - x1 * r.s);
  store(part, b, x0 * r.s + x1 * r.c);
}
