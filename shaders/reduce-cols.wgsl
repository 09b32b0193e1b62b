// One pass of the column sum of x [rows, cols]: the rows are cut into chunks of p.rowsPerChunk and
// workgroup (tile, chunk) sums its chunk for 64 columns: 4 lanes per column stride over the rows
// (consecutive threads read consecutive columns), then the 4 lanes are added in a fixed order.
// Writes out[chunk, c]; the wrapper repeats the pass on the partial sums until one chunk is left.
// With p.accumulate the result is added to what out already holds (only used on the last pass).
const TC = 64u;
const TR = 4u;
struct Params { rows: u32, cols: u32, rowsPerChunk: u32, accumulate: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let c = wid.x * TC + lid.x;
  let chunk = wid.y;
  let r0 = chunk * p.rowsPerChunk;
  let r1 = min(r0 + p.rowsPerChunk, p.rows);
  var s = 0.0;
  if (c < p.cols) {
    for (var r = r0 + lid.y; r < r1; r += TR) { s += x[r * p.cols + c]; }
  }
  partial[lid.y * TC + lid.x] = s;
  workgroupBarrier();
  if (lid.y == 0u && c < p.cols) {
    var total = (partial[lid.x] + partial[TC + lid.x]) + (partial[2u * TC + lid.x] + partial[3u * TC + lid.x]);
    let o = chunk * p.cols + c;
    if (p.accumulate != 0u) { total = out[o] + total; }
    out[o] = total;
  }
}
