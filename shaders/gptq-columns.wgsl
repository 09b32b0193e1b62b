// GPTQ's column loop over one lazy batch [i1, i1 + count) of the working weights w (permuted
// order), one thread per output row (rows are independent). For each column: at a group's first
// column its min/max quantizer from w (which holds the earlier batches' updates only, AutoGPTQ's
// static_groups=false), the code, err = (x − q)/U[col,col], and the batch's later columns
// −= err·U[col, ·] (kept in registers). Codes go to the original column perm[col] (the dequantized
// weights are dequantize.wgsl's of them: the same (code − z)·s, and eight storage buffers at most,
// WebGPU's default per stage); err is kept for the trailing update (gptq-trailing.wgsl); losses[r]
// accumulates AutoGPTQ's estimate Σ err²/2. Per-channel (PER_CHANNEL) scales and zero points are given.
#include "common.wgsl"
#include "quant-common.wgsl"
struct Params { rows: u32, cols: u32, i1: u32, count: u32, groupSize: u32, nGroups: u32, bits: u32, symmetric: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read_write> codes: array<u32>;
@group(0) @binding(5) var<storage, read_write> scales: array<f32>;
@group(0) @binding(6) var<storage, read_write> zeros: array<f32>;
@group(0) @binding(7) var<storage, read_write> err: array<f32>;
@group(0) @binding(8) var<storage, read_write> losses: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flatIndex(gid, nwg, {{WG}}u);
  if (r >= p.rows) { return; }
  let row = r * p.cols;
  var w1: array<f32, {{BS}}>;
  for (var j = 0u; j < p.count; j++) { w1[j] = w[row + p.i1 + j]; }
  let sym = p.symmetric == 1u;
  let qhi = f32((1u << p.bits) - 1u);
  // The group in force when the batch starts (set at its first column, possibly in an earlier batch).
  var s = scales[r * p.nGroups + p.i1 / p.groupSize];
  var z = zeros[r * p.nGroups + p.i1 / p.groupSize];
  var loss = 0.0;
  for (var i = 0u; i < p.count; i++) {
    let col = p.i1 + i;
#if !PER_CHANNEL
    if (col % p.groupSize == 0u) {
      let c1 = min(col + p.groupSize, p.cols);
      var mn = w[row + col];
      var mx = mn;
      for (var c = col + 1u; c < c1; c++) {
        let v = w[row + c];
        mn = min(mn, v);
        mx = max(mx, v);
      }
      let mq = minMaxQuant(mn, mx, p.bits, sym);
      s = mq.s;
      z = mq.z;
      scales[r * p.nGroups + col / p.groupSize] = s;
      zeros[r * p.nGroups + col / p.groupSize] = z;
    }
#endif
    let x = w1[i];
    let code = clamp(round(x / s) + z, 0.0, qhi);
    let q = (code - z) * s;
    let urow = col * p.cols;
    let e = (x - q) / u[urow + col];
    loss += e * e;
    err[r * {{BS}}u + i] = e;
    let dst = row + perm[col];
    codes[dst] = u32(code);
    for (var j = i + 1u; j < p.count; j++) { w1[j] -= e * u[urow + p.i1 + j]; }
  }
  losses[r] += 0.5 * loss;
}
