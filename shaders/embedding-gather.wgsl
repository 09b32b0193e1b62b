// out[t, c] = table[ids[t] - first, c] for the ids the table holds (rows first .. first + vocab - 1:
// the whole vocabulary, or one range of it when the embedding is over a storage binding). Other ids
// (e.g. 0xFFFFFFFF padding, or another range's) give a zero row where zeroOthers is 1, and are left
// as they are otherwise (the later ranges of a split table).
#include "common.wgsl"
struct Params { n: u32, cols: u32, vocab: u32, first: u32, zeroOthers: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flatIndex(gid, nwg, {{WG}}u);
  if (i >= p.n) { return; }
  let t = i / p.cols;
  let c = i - t * p.cols;
  let id = ids[t];
  if (id >= p.first && id - p.first < p.vocab) {
    out[i] = table[(id - p.first) * p.cols + c];
  } else if (p.zeroOthers == 1u) {
    out[i] = 0.0;
  }
}
