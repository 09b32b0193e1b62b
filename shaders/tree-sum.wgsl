// Deterministic workgroup sum: every lane stores its value, then a fixed-order tree halves the
// active lanes ({{WG}} is the workgroup size, a power of two) until lane 0 holds the total, so the
// same inputs give the same bits on every run (no atomics). Every lane gets the total. Call from
// uniform control flow; the trailing barrier lets a kernel call it again.
var<workgroup> treePartial: array<f32, {{WG}}>;

fn workgroupTreeSum(v: f32, lid: u32) -> f32 {
  return segmentTreeSum(v, lid, {{WG}}u);
}

// The same sum within each run of `seg` consecutive lanes (a power of two dividing {{WG}}): each
// lane gets its run's total, summed in the order workgroupTreeSum sums `seg` lanes. Several small
// groups then share a workgroup instead of one each (fewer workgroups and barriers); where a
// group's values fit fewer lanes than a workgroup, the lanes left out only added zeros, so the
// totals are the same bits.
fn segmentTreeSum(v: f32, lid: u32, seg: u32) -> f32 {
  treePartial[lid] = v;
  workgroupBarrier();
  let lane = lid % seg;
  for (var k = seg / 2u; k > 0u; k = k / 2u) {
    if (lane < k) { treePartial[lid] += treePartial[lid + k]; }
    workgroupBarrier();
  }
  let total = treePartial[lid - lane];
  workgroupBarrier();
  return total;
}
