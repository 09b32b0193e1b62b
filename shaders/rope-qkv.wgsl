// RoPE where q, k and v lie side by side in each row of one [T, W] tensor, W = (heads + 2*kvHeads)*D
// (the product of their stacked weights; model/block-weights.ts SIDE_BY_SIDE_ROLES), one dispatch:
//   forward: qkv -> q and k turned, v copied, each token-major on its own (what attention reads);
//            HALF_OUT: q's and k's f16 copies in the matmul attention path's head split (rep query
//            heads per kv head; counted at overflow[p.slotQ] / [p.slotK]); V_HALF: v's too (one
//            more storage binding; counted at overflow[p.slotV]).
//   INVERSE: dq and dk turned back and dv copied into one [T, W] tensor dqkv (the operand of the
//            stacked products); SPLIT_IN: the three come in the head split (the matmul path's
//            unmerged gradients); HALF_OUT: dqkv's f16 copy too (counted at overflow[p.slotQ]).
// Threads: q's rotated pairs, then k's, then v's element pairs (copied), as rope.wgsl's arithmetic.
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "rope-common.wgsl"
struct Params { D: u32, seqLen: u32, heads: u32, kvHeads: u32, rep: u32, slotQ: u32, slotK: u32, slotV: u32, pairsQ: u32, pairsK: u32, pairsV: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<vec2<f32>>;
#if INVERSE
@group(0) @binding(2) var<storage, read> dq: array<f32>;
@group(0) @binding(3) var<storage, read> dk: array<f32>;
@group(0) @binding(4) var<storage, read> dv: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;
#if HALF_OUT
@group(0) @binding(6) var<storage, read_write> dqkv16: array<f16>;
#endif
#else
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read_write> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> k: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
#if HALF_OUT
@group(0) @binding(6) var<storage, read_write> q16: array<f16>;
@group(0) @binding(7) var<storage, read_write> k16: array<f16>;
#endif
#if V_HALF
@group(0) @binding(9) var<storage, read_write> v16: array<f16>;
#endif
#endif
#if HALF_OUT
@group(0) @binding(8) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

// element i of part m's own [T, heads_m*D] tensor in the side-by-side row layout
fn sideBySide(m: u32, i: u32, heads: u32) -> u32 {
  let width = heads * p.D;
  let t = i / width;
  var col = 0u;
  if (m >= 1u) { col = p.heads * p.D; }
  if (m == 2u) { col += p.kvHeads * p.D; }
  return t * (p.heads + 2u * p.kvHeads) * p.D + col + i % width;
}

#if INVERSE
fn load(m: u32, i: u32, heads: u32, rep: u32) -> f32 {
#if SPLIT_IN
  let j = ropeSplitIndex(i, heads, rep, p.D, p.seqLen);
#else
  let j = i;
#endif
  if (m == 0u) { return dq[j]; }
  if (m == 1u) { return dk[j]; }
  return dv[j];
}

fn store(m: u32, i: u32, heads: u32, rep: u32, value: f32) {
  let j = sideBySide(m, i, heads);
  dqkv[j] = value;
#if HALF_OUT
  dqkv16[j] = f16Counted(value, p.slotQ);
#endif
}
#else
fn load(m: u32, i: u32, heads: u32, rep: u32) -> f32 {
  return qkv[sideBySide(m, i, heads)];
}

fn store(m: u32, i: u32, heads: u32, rep: u32, value: f32) {
  if (m == 2u) {
    v[i] = value;
#if V_HALF
    v16[ropeSplitIndex(i, heads, rep, p.D, p.seqLen)] = f16Counted(value, p.slotV);
#endif
    return;
  }
  if (m == 0u) {
    q[i] = value;
  } else {
    k[i] = value;
  }
#if HALF_OUT
  let c = ropeSplitIndex(i, heads, rep, p.D, p.seqLen);
  if (m == 0u) {
    q16[c] = f16Counted(value, p.slotQ);
  } else {
    k16[c] = f16Counted(value, p.slotK);
  }
#endif
}
#endif

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var idx = flatIndex(gid, nwg, {{WG}}u);
  var m = 0u;
  var heads = p.heads;
  var rep = p.rep;
  if (idx >= p.pairsQ) {
    idx -= p.pairsQ;
    m = 1u;
    heads = p.kvHeads;
    rep = 1u;
    if (idx >= p.pairsK) {
      idx -= p.pairsK;
      m = 2u;
      if (idx >= p.pairsV) { return; }
    }
  }
  let r = ropePair(idx, heads, p.D, p.seqLen, 0u);
  let x0 = load(m, r.a, heads, rep);
  let x1 = load(m, r.b, heads, rep);
  if (m == 2u) {
    store(m, r.a, heads, rep, x0);
    store(m, r.b, heads, rep, x1);
    return;
  }
  store(m, r.a, heads, rep, x0 * r.c - x1 * r.s);
  store(m, r.b, heads, rep, x0 * r.s + x1 * r.c);
}
