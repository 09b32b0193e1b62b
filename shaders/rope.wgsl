// Rotary position embedding on x[T, heads*D]: one thread per rotated pair (token, head, i).
// cos/sin come from a table [positions, D/2] built on the CPU (float64, rounded once to f32).
// #if HALF pairs (i, i + D/2) (HF); otherwise (2i, 2i+1) (Meta/GGUF). #if INVERSE turns by -angle.
// HALF_OUT: also writes y's f16 copy for the Linear products that read it (shaders/f16-overflow.wgsl,
// counted at overflow[p.slot]); with SPLIT_OUT in the matmul attention path's group-major layout
// [batch*groups, rep*seqLen, D] (as attention-heads.wgsl's split: groups = heads / rep).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
struct Params { pairs: u32, heads: u32, D: u32, seqLen: u32, offset: u32, slot: u32, rep: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#if HALF_OUT
@group(0) @binding(4) var<storage, read_write> y16: array<f16>;
@group(0) @binding(5) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

// where element i of y [T, heads*D] sits in its f16 copy
fn copyIndex(i: u32) -> u32 {
#if SPLIT_OUT
  let d = i % p.D;
  let th = i / p.D;
  let h = th % p.heads;
  let t = th / p.heads;
  let b = t / p.seqLen;
  let s = t % p.seqLen;
  return (((b * (p.heads / p.rep) + h / p.rep) * p.rep + h % p.rep) * p.seqLen + s) * p.D + d;
#else
  return i;
#endif
}

fn store(i: u32, v: f32) {
  y[i] = v;
#if HALF_OUT
  y16[copyIndex(i)] = f16Counted(v, p.slot);
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flatIndex(gid, nwg, {{WG}}u);
  if (idx >= p.pairs) { return; }
  let half = p.D / 2u;
  let i = idx % half;
  let th = idx / half; // token * heads + head
  let t = th / p.heads;
  let pos = t % p.seqLen + p.offset;
  let cs = table[pos * half + i];
#if INVERSE
  let s = -cs.y;
#else
  let s = cs.y;
#endif
  let base = th * p.D;
#if HALF
  let a = base + i;
  let b = base + i + half;
#else
  let a = base + 2u * i;
  let b = a + 1u;
#endif
  let x0 = x[a];
  let x1 = x[b];
  store(a, x0 * cs.x - x1 * s);
  store(b, x0 * s + x1 * cs.x);
}
