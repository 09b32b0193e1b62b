// dα of every TEQ group in one dispatch: grad[outOffset + c] = Σ_r sums[offset + r·cols + c] over
// the rows of the group's column sums a chunk (teq-grad-group.wgsl), in row order. `table` has one
// entry per workgroup: (offset, rows, cols, outOffset, first column); a workgroup sums COLS columns.
// The rows come in tiles of TILE x COLS, loaded by all WG invocations (many loads in flight), and
// COLS invocations add each tile's rows in order from workgroup memory: one invocation walking
// thousands of rows on its own waited on memory at every row (1.3 ms a call on the H200 for a
// SmolLM2-135M block, 30 calls a TEQ step). The same sums in the same order: the same bits.
struct Params { workgroups: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read> sums: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

const WG = {{WG}}u;
const COLS = {{COLS}}u;
const TILE = {{TILE}}u;
const LOADERS = WG / COLS;
var<workgroup> tile: array<f32, TILE * COLS>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  if (w >= p.workgroups) { return; }
  let offset = table[5u * w];
  let rows = table[5u * w + 1u];
  let cols = table[5u * w + 2u];
  let outOffset = table[5u * w + 3u];
  let col = lid % COLS;
  let c = table[5u * w + 4u] + col;
  let loader = lid / COLS;
  var s = 0.0;
  for (var r0 = 0u; r0 < rows; r0 += TILE) {
    for (var k = loader; k < TILE; k += LOADERS) {
      let r = r0 + k;
      var v = 0.0;
      if (r < rows && c < cols) { v = sums[offset + r * cols + c]; }
      tile[k * COLS + col] = v;
    }
    workgroupBarrier();
    if (lid < COLS) {
      let n = min(TILE, rows - r0);
      for (var i = 0u; i < n; i++) { s += tile[i * COLS + lid]; }
    }
    workgroupBarrier();
  }
  if (lid < COLS && c < cols) { grad[outOffset + c] = s; }
}
