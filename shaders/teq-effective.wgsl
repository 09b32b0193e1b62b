// TEQ's effective weights of the 1–3 Linears that share one α (their input channels), in one
// dispatch: Weff = FQ(W·diag(α))·diag(1/α), the arithmetic of quantize.wgsl with COLSCALE,
// DEQUANT and UNSCALE. One invocation per (row, group) of the members' rows stacked in order;
// α is read at alphaOffset of a buffer that packs every group's α.
// VEC4 (columns, group size and α offset multiples of 4): the same arithmetic in the same order,
// four columns a load (one invocation walks its whole group, so wide loads keep more in flight).
// TILED (one column a load, G = the group size): the workgroup's groups staged in workgroup memory
// (teq-tile.wgsl), global memory read and written a column an invocation in order; the same
// arithmetic in the same order again.
// HALF_OUT: also writes each member's f16 copy (h0..h2) for the Linear products that read the
// effective weights in f16 (shaders/f16-overflow.wgsl: the values and counts of cast-f16.wgsl,
// member m's counted at overflow[p.slot<m>]).
#if HALF_OUT
enable f16;
#endif
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params {
  cols: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32, alphaOffset: u32,
  rows0: u32, rows1: u32, rows2: u32,
  slot0: u32, slot1: u32, slot2: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
#include "teq-vec.wgsl"
@group(0) @binding(1) var<storage, read> alpha: array<V>;
@group(0) @binding(2) var<storage, read> w0: array<V>;
@group(0) @binding(3) var<storage, read_write> out0: array<V>;
#if M2
@group(0) @binding(4) var<storage, read> w1: array<V>;
@group(0) @binding(5) var<storage, read_write> out1: array<V>;
#endif
#if M3
@group(0) @binding(6) var<storage, read> w2: array<V>;
@group(0) @binding(7) var<storage, read_write> out2: array<V>;
#endif
#if HALF_OUT
#if VEC4
alias H = vec4<f16>;
#else
alias H = f16;
#endif
@group(0) @binding(8) var<storage, read_write> overflow: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> h0: array<H>;
#if M2
@group(0) @binding(10) var<storage, read_write> h1: array<H>;
#endif
#if M3
@group(0) @binding(11) var<storage, read_write> h2: array<H>;
#endif
#include "f16-overflow.wgsl"

fn toHalf(v: vec4<f32>, slot: u32) -> H {
#if VEC4
  return vec4<f16>(f16Counted(v.x, slot), f16Counted(v.y, slot), f16Counted(v.z, slot), f16Counted(v.w, slot));
#else
  return f16Counted(v.x, slot);
#endif
}
#endif

fn wOf(m: u32, i: u32) -> vec4<f32> {
#if M2
  if (m == 1u) { return widen(w1[i / STEP]); }
#endif
#if M3
  if (m == 2u) { return widen(w2[i / STEP]); }
#endif
  return widen(w0[i / STEP]);
}

fn al(c: u32) -> vec4<f32> {
  return widen(alpha[(p.alphaOffset + c) / STEP]);
}

fn store(m: u32, i: u32, v: vec4<f32>) {
#if M2
  if (m == 1u) {
    out1[i / STEP] = narrow(v);
#if HALF_OUT
    h1[i / STEP] = toHalf(v, p.slot1);
#endif
    return;
  }
#endif
#if M3
  if (m == 2u) {
    out2[i / STEP] = narrow(v);
#if HALF_OUT
    h2[i / STEP] = toHalf(v, p.slot2);
#endif
    return;
  }
#endif
  out0[i / STEP] = narrow(v);
#if HALF_OUT
  h0[i / STEP] = toHalf(v, p.slot0);
#endif
}

#include "teq-locate.wgsl"
#if TILED
#include "teq-tile.wgsl"
var<workgroup> aS: array<f32, TILE_SIZE>;
fn W(l: Loc, c: u32) -> vec4<f32> { return vec4<f32>(wS[tileAt(l, c)], 0.0, 0.0, 0.0); }
fn A(l: Loc, c: u32) -> vec4<f32> { return vec4<f32>(aS[tileAt(l, c)], 0.0, 0.0, 0.0); }
// the effective weight replaces W's value in the tile (each read before it is written)
fn put(l: Loc, c: u32, v: vec4<f32>) { wS[tileAt(l, c)] = v.x; }
fn stageOne(l: Loc, c: u32, t: u32) {
  wS[t] = wOf(l.m, l.base + c).x;
  aS[t] = al(c).x;
}
fn unstageOne(l: Loc, c: u32, t: u32) { store(l.m, l.base + c, vec4<f32>(wS[t], 0.0, 0.0, 0.0)); }
#else
fn W(l: Loc, c: u32) -> vec4<f32> { return wOf(l.m, l.base + c); }
fn A(l: Loc, c: u32) -> vec4<f32> { return al(c); }
fn put(l: Loc, c: u32, v: vec4<f32>) { store(l.m, l.base + c, v); }
#endif

/** One (row, group): its effective weights, through W, A and put. */
fn groupEffective(l: Loc) {
  var mn = W(l, l.c0).x * A(l, l.c0).x;
  var mx = mn;
  for (var c = l.c0; c < l.c1; c += STEP) {
    let wv = W(l, c);
    let av = A(l, c);
    for (var k = 0u; k < STEP; k++) {
      let v = wv[k] * av[k];
      mn = min(mn, v);
      mx = max(mx, v);
    }
  }
  let mq = minMaxQuant(mn, mx, p.bits, p.symmetric == 1u);
  let s = mq.s;
  let z = mq.z;
  let qlo = 0.0;
  let qhi = mq.qhi;
  for (var c = l.c0; c < l.c1; c += STEP) {
    let wv = W(l, c);
    let av = A(l, c);
    var res = vec4<f32>(0.0);
    for (var k = 0u; k < STEP; k++) {
      let a = av[k];
      let q = clamp(round(wv[k] * a / s) + z, qlo, qhi);
      res[k] = (q - z) * s / a;
    }
    put(l, c, res);
  }
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  let total = (p.rows0 + p.rows1 + p.rows2) * p.nGroups;
#if TILED
  stageTile(id - lid, lid, total);
  workgroupBarrier();
  if (id < total) { groupEffective(locate(id, lid)); }
  workgroupBarrier();
  unstageTile(id - lid, lid, total);
#else
  if (id >= total) { return; }
  groupEffective(locate(id, 0u));
#endif
}
