// The lane layout of TEQ's group kernels, and their reads of α and the members' weights (included
// after teq-vec.wgsl, the kernel's Params and its alpha and w0..w2 bindings): a workgroup holds ROWS
// stacked rows of one group, LANES invocations a row; lane l of a row holds the row's column
// vectors l, l + LANES, ... (VPL of them), so a subgroup's loads cover whole groups of consecutive
// rows in order. (One invocation a (row, group) walking its group made each load of a subgroup
// touch 32 lines 128 bytes apart: 16% of the bandwidth.)
const WG = {{WG}}u;
const LANES = {{LANES}}u;
const ROWS = {{ROWS}}u;
const VPL = {{VPL}}u;
// the largest f32: no larger value than any (WGSL may assume no infinities)
const INF = 0x1.fffffep+127f;

/** Member m's weights at element i (of its own [rows, cols]), four columns or one. */
fn wOf(m: u32, i: u32) -> vec4<f32> {
#if M2
  if (m == 1u) { return widen(w1[i / STEP]); }
#endif
#if M3
  if (m == 2u) { return widen(w2[i / STEP]); }
#endif
  return widen(w0[i / STEP]);
}

/** α of the group's column c. */
fn al(c: u32) -> vec4<f32> {
  return widen(alpha[(p.alphaOffset + c) / STEP]);
}

/** A lane's place: its member, the member's row and the row's first index (all 0 when not live). */
struct Lane {
  live: bool,
  m: u32,
  base: u32,
}

fn laneOf(stacked: u32, live: bool) -> Lane {
  if (!live) { return Lane(false, 0u, 0u); }
  var r = stacked;
  var m = 0u;
  if (r >= p.rows0) {
    r -= p.rows0;
    m = 1u;
    if (r >= p.rows1) { r -= p.rows1; m = 2u; }
  }
  return Lane(true, m, r * p.cols);
}

/** Column of the lane's vector k, from the group's first column c0. */
fn colOf(c0: u32, l: u32, k: u32) -> u32 {
  return c0 + (l + k * LANES) * STEP;
}
