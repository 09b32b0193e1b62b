// Where one (row, group) of TEQ's group kernels lies: the members' rows stacked in order, nGroups
// groups a row. Needs Params p (cols, groupSize, nGroups, rows0, rows1).
struct Loc {
  /** member (0-2), its row's first element, the group's columns [c0, c1), the row among the stacked rows, the invocation's place in the workgroup */
  m: u32, base: u32, c0: u32, c1: u32, stacked: u32, j: u32,
}

fn locate(id: u32, j: u32) -> Loc {
  let stacked = id / p.nGroups;
  let g = id % p.nGroups;
  var r = stacked;
  var m = 0u;
  if (r >= p.rows0) {
    r -= p.rows0;
    m = 1u;
    if (r >= p.rows1) { r -= p.rows1; m = 2u; }
  }
  let c0 = g * p.groupSize;
  return Loc(m, r * p.cols, c0, min(c0 + p.groupSize, p.cols), stacked, j);
}
