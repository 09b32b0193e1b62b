// TEQ's effective weights of the 1–3 Linears that share one α (their input channels), in one
// dispatch: Weff = FQ(W·diag(α))·diag(1/α), the arithmetic of quantize.wgsl with COLSCALE,
// DEQUANT and UNSCALE. A workgroup holds ROWS rows of the members' rows stacked in order, of one
// group (teq-lanes.wgsl); α is read at alphaOffset of a buffer that packs every group's α. Each
// row's min and max come from its lanes' partial ones through workgroup memory (min and max are
// exact in any order: the bits of one walk along the group).
// VEC4 (columns, group size and α offset multiples of 4): the same arithmetic, four columns a load.
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

#include "teq-lanes.wgsl"

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

var<workgroup> lowest: array<f32, WG>;
var<workgroup> highest: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let rows = p.rows0 + p.rows1 + p.rows2;
  if (w >= (rows + ROWS - 1u) / ROWS * p.nGroups) { return; }
  let g = w % p.nGroups;
  let i = lid / LANES;
  let l = lid % LANES;
  let stacked = w / p.nGroups * ROWS + i;
  let ln = laneOf(stacked, i < ROWS && stacked < rows);
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  var wv: array<vec4<f32>, VPL>;
  var av: array<vec4<f32>, VPL>;
  var mn = INF;
  var mx = -INF;
  for (var k = 0u; k < VPL; k++) {
    let c = colOf(c0, l, k);
    if (!ln.live || c >= c1) { continue; }
    wv[k] = wOf(ln.m, ln.base + c);
    av[k] = al(c);
    for (var j = 0u; j < STEP; j++) {
      let v = wv[k][j] * av[k][j];
      mn = min(mn, v);
      mx = max(mx, v);
    }
  }
  lowest[lid] = mn;
  highest[lid] = mx;
  workgroupBarrier();
  if (!ln.live) { return; }
  for (var q = i * LANES; q < (i + 1u) * LANES; q++) {
    mn = min(mn, lowest[q]);
    mx = max(mx, highest[q]);
  }
  let mq = minMaxQuant(mn, mx, p.bits, p.symmetric == 1u);
  let s = mq.s;
  let z = mq.z;
  let qlo = 0.0;
  let qhi = mq.qhi;
  for (var k = 0u; k < VPL; k++) {
    let c = colOf(c0, l, k);
    if (c >= c1) { continue; }
    var res = vec4<f32>(0.0);
    for (var j = 0u; j < STEP; j++) {
      let a = av[k][j];
      let q = clamp(round(wv[k][j] * a / s) + z, qlo, qhi);
      res[j] = (q - z) * s / a;
    }
    store(ln.m, ln.base + c, res);
  }
}
