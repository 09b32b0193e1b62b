// TEQ's effective weights of the 1–3 Linears that share one α (their input channels), in one
// dispatch: Weff = FQ(W·diag(α))·diag(1/α), the arithmetic of quantize.wgsl with COLSCALE,
// DEQUANT and UNSCALE. One invocation per (row, group) of the members' rows stacked in order;
// α is read at alphaOffset of a buffer that packs every group's α.
// VEC4 (columns, group size and α offset multiples of 4): the same arithmetic in the same order,
// four columns a load (one invocation walks its whole group, so wide loads keep more in flight).
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

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  let rows = p.rows0 + p.rows1 + p.rows2;
  if (id >= rows * p.nGroups) { return; }
  var r = id / p.nGroups;
  let g = id % p.nGroups;
  var m = 0u;
  if (r >= p.rows0) {
    r -= p.rows0;
    m = 1u;
    if (r >= p.rows1) { r -= p.rows1; m = 2u; }
  }
  let base = r * p.cols;
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  var mn = wOf(m, base + c0).x * al(c0).x;
  var mx = mn;
  for (var c = c0; c < c1; c += STEP) {
    let wv = wOf(m, base + c);
    let av = al(c);
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
  for (var c = c0; c < c1; c += STEP) {
    let wv = wOf(m, base + c);
    let av = al(c);
    var res = vec4<f32>(0.0);
    for (var k = 0u; k < STEP; k++) {
      let a = av[k];
      let q = clamp(round(wv[k] * a / s) + z, qlo, qhi);
      res[k] = (q - z) * s / a;
    }
    store(m, base + c, res);
  }
}
