// Group-wise min/max quantization of a weight matrix [rows, cols], one invocation per
// (row, group) of `groupSize` consecutive input channels (the last group may be ragged).
// Asymmetric (LLMC convention):  s = max(max-min, 1e-5)/qmax, z = clamp(-round(min/s), 0, qmax),
//                                q = clamp(round(w/s) + z, 0, qmax)
// Symmetric (INC convention):    s = max|w|/(2^(b-1)-1), q = clamp(round(w/s), -2^(b-1), 2^(b-1)-1),
//                                stored as code q + 2^(b-1) with zero point 2^(b-1).
// Dequantized: (q - z) * s. With COLSCALE the matrix is first multiplied by a per-input-channel
// scale (AWQ/TEQ's W·diag(s)) and the dequantized result divided by it again (UNSCALE).
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params { rows: u32, cols: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
#if COLSCALE
@group(0) @binding(2) var<storage, read> colScale: array<f32>;
#endif
#if CODES
@group(0) @binding({{B_CODES}}) var<storage, read_write> codes: array<u32>;
@group(0) @binding({{B_SCALES}}) var<storage, read_write> scales: array<f32>;
@group(0) @binding({{B_ZEROS}}) var<storage, read_write> zeros: array<f32>;
#endif
#if DEQUANT
@group(0) @binding({{B_DEQ}}) var<storage, read_write> deq: array<f32>;
#endif

fn wAt(r: u32, c: u32) -> f32 {
#if COLSCALE
  return w[r * p.cols + c] * colScale[c];
#else
  return w[r * p.cols + c];
#endif
}

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flatIndex(gid, nwg, {{WG}}u);
  if (id >= p.rows * p.nGroups) { return; }
  let r = id / p.nGroups;
  let g = id % p.nGroups;
  let c0 = g * p.groupSize;
  let c1 = min(c0 + p.groupSize, p.cols);
  var mn = wAt(r, c0);
  var mx = mn;
  for (var c = c0 + 1u; c < c1; c++) {
    let v = wAt(r, c);
    mn = min(mn, v);
    mx = max(mx, v);
  }
  let mq = minMaxQuant(mn, mx, p.bits, p.symmetric == 1u);
  let s = mq.s;
  let z = mq.z;
  let qlo = 0.0;
  let qhi = mq.qhi;
#if CODES
  scales[id] = s;
  zeros[id] = z;
#endif
  for (var c = c0; c < c1; c++) {
    let q = clamp(round(wAt(r, c) / s) + z, qlo, qhi);
#if CODES
    codes[r * p.cols + c] = u32(q);
#endif
#if DEQUANT
#if UNSCALE
    deq[r * p.cols + c] = (q - z) * s / colScale[c];
#else
    deq[r * p.cols + c] = (q - z) * s;
#endif
#endif
  }
}
