// One workgroup: finds the histogram bin holding the 0-based sorted rank p.rank (prefix scan of
// 4096 bins, 16 per thread) and writes it to thr[0]; ranks past the total give the last bin.
#include "tesseraq-common.wgsl"
struct Params { rank: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> hist: array<u32>;
@group(0) @binding(2) var<storage, read_write> thr: array<u32>;

const THREADS: u32 = 256u;
const PER: u32 = TQ_BINS / THREADS;
var<workgroup> sums: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var local = 0u;
  for (var j = 0u; j < PER; j++) { local += hist[lid * PER + j]; }
  sums[lid] = local;
  workgroupBarrier();
  for (var off = 1u; off < THREADS; off *= 2u) {
    var add = 0u;
    if (lid >= off) { add = sums[lid - off]; }
    workgroupBarrier();
    sums[lid] += add;
    workgroupBarrier();
  }
  let incl = sums[lid];
  let excl = incl - local;
  if (excl <= p.rank && p.rank < incl) {
    var cum = excl;
    for (var j = 0u; j < PER; j++) {
      cum += hist[lid * PER + j];
      if (cum > p.rank) {
        thr[0] = lid * PER + j;
        break;
      }
    }
  }
  if (lid == THREADS - 1u && incl <= p.rank) { thr[0] = TQ_BINS - 1u; }
}
