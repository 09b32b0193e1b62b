// AWQ (LLMC v2) candidate scales for one grid ratio r: s = max(xmean^r, 1e-4), normalised by
// sqrt(max(s) * min(s)). Writes s and 1/s. One workgroup.
struct Params { cols: u32, ratio: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> xmean: array<f32>;
@group(0) @binding(2) var<storage, read_write> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> invS: array<f32>;
var<workgroup> hi: array<f32, {{WG}}>;
var<workgroup> lo: array<f32, {{WG}}>;

fn raw(c: u32) -> f32 { return max(pow(xmean[c], p.ratio), 1e-4); }

@compute @workgroup_size({{WG}})
fn main(@builtin(local_invocation_index) lid: u32) {
  var mx = 0.0;
  var mn = 3.0e38;
  for (var c = lid; c < p.cols; c += {{WG}}u) { let v = raw(c); mx = max(mx, v); mn = min(mn, v); }
  hi[lid] = mx;
  lo[lid] = mn;
  workgroupBarrier();
  for (var k = {{WG}}u / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { hi[lid] = max(hi[lid], hi[lid + k]); lo[lid] = min(lo[lid], lo[lid + k]); }
    workgroupBarrier();
  }
  let norm = sqrt(hi[0] * lo[0]);
  for (var c = lid; c < p.cols; c += {{WG}}u) {
    let v = raw(c) / norm;
    s[c] = v;
    invS[c] = 1.0 / v;
  }
}
