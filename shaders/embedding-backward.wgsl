// dTable[v, :] += sum of dy[t, :] over the tokens t with ids[t] == v, deterministically and without
// float atomics. One workgroup per token t scans ids in chunks of WG. A chunk without a match of
// its id costs one integer-atomic count; a chunk with matches is compacted in token order by a
// prefix sum. If an earlier token has the same id, the workgroup quits (that token's workgroup
// owns the row); otherwise it is the row's only writer: it adds the dy rows in ascending token
// order into registers (CPT columns per thread) and adds the total to the row once at the end.
// Rows of ids never seen are left as they are (the wrapper clears them unless accumulating);
// ids >= vocab (e.g. 0xFFFFFFFF padding) are skipped.
struct Params { tokens: u32, vocab: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> scan: array<u32, {{WG}}>;
var<workgroup> matches: array<u32, {{WG}}>;
var<workgroup> hits: atomic<u32>;
var<workgroup> myId: u32;
var<workgroup> chunkCount: u32;
var<workgroup> firstMatch: u32;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = wid.x + wid.y * nwg.x;
  if (t >= p.tokens) { return; }
  if (lid == 0u) {
    myId = ids[t];
    atomicStore(&hits, 0u);
  }
  let id = workgroupUniformLoad(&myId);
  if (id >= p.vocab) { return; }
  var acc: array<f32, {{CPT}}>;
  for (var j = 0u; j < {{CPT}}u; j++) { acc[j] = 0.0; }
  var isLeader = false;
  for (var base = 0u; base < p.tokens; base += {{WG}}u) {
    let jt = base + lid;
    var f = 0u;
    if (jt < p.tokens) {
      if (ids[jt] == id) { f = 1u; }
    }
    if (f == 1u) { atomicAdd(&hits, 1u); }
    workgroupBarrier();
    // Read and reset in one step: the next chunk's adds come after the uniform load's barrier.
    if (lid == 0u) { chunkCount = atomicExchange(&hits, 0u); }
    let count = workgroupUniformLoad(&chunkCount);
    if (count > 0u) {
      scan[lid] = f;
      workgroupBarrier();
      for (var off = 1u; off < {{WG}}u; off = off * 2u) {
        var add = 0u;
        if (lid >= off) { add = scan[lid - off]; }
        workgroupBarrier();
        scan[lid] += add;
        workgroupBarrier();
      }
      if (f == 1u) { matches[scan[lid] - 1u] = jt; }
      workgroupBarrier();
      if (!isLeader) {
        if (lid == 0u) { firstMatch = matches[0]; }
        if (workgroupUniformLoad(&firstMatch) != t) { return; }
        isLeader = true;
      }
      for (var k = 0u; k < count; k++) {
        let src = matches[k] * p.cols;
        for (var j = 0u; j < {{CPT}}u; j++) {
          let c = lid + j * {{WG}}u;
          if (c < p.cols) { acc[j] += dy[src + c]; }
        }
      }
    }
  }
  let dst = id * p.cols;
  for (var j = 0u; j < {{CPT}}u; j++) {
    let c = lid + j * {{WG}}u;
    if (c < p.cols) { out[dst + c] += acc[j]; }
  }
}
