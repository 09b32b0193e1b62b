// Deterministic workgroup sum: every lane stores its value, then a fixed-order tree halves the
// active lanes ({{WG}} is the workgroup size, a power of two) until lane 0 holds the total, so the
// same inputs give the same bits on every run (no atomics). Every lane gets the total. Call from
// uniform control flow; the trailing barrier lets a kernel call it again.
var<workgroup> treePartial: array<f32, {{WG}}>;

fn workgroupTreeSum(v: f32, lid: u32) -> f32 {
  treePartial[lid] = v;
  workgroupBarrier();
  for (var k = {{WG}}u / 2u; k > 0u; k = k / 2u) {
    if (lid < k) { treePartial[lid] += treePartial[lid + k]; }
    workgroupBarrier();
  }
  let total = treePartial[0];
  workgroupBarrier();
  return total;
}
