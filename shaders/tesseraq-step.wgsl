// One TesseraQ training step of a Linear after backward, SEG invocations per (row, group) and
// {{WG}} / SEG groups per workgroup (SEG: the group size's power of two, at most 64):
//   gradients (tesseraq-common.wgsl's, as tesseraq-grad.wgsl) dv = dŴ·s·f·[0 ≤ floor(W/s)+h+z ≤ qmax]·rectsig'(v),
//                                      du = Σ_group dŴ·(q − z)·s · 2·rectsig'(u);
//   Adam on v and on u (as adam.wgsl, each with its own step size and L2 weight decay);
//   the soft weight of the next step with the new v and u (as tesseraq-soft-weight.wgsl).
// A run of SEG invocations owns its group's v entries and its u entry, so it can update them in
// place. The sum over a group is tree-sum.wgsl's over SEG lanes: the same bits as one workgroup of
// 64 per group (what this kernel was), whose lanes past the group added zeros.
// dŴ arrives multiplied by the loss's scale (a power of two, ops/precision.ts lossGradientScale);
// gradScale undoes it first, exactly.
// adam holds [m_v (n), v_v (n), m_u (rows·nGroups), v_u (rows·nGroups)].
// HALF_OUT: also writes the soft weight's f16 copy for the next step's products
// (shaders/f16-overflow.wgsl: the value and count of cast-f16.wgsl, at overflow[p.slot]).
#if HALF_OUT
enable f16;
#endif
#include "tesseraq-common.wgsl"
#include "tree-sum.wgsl"
struct Params {
  rows: u32, cols: u32, groupSize: u32, nGroups: u32, qmax: f32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32, eps: f32, invSqrtBc2: f32,
  stepSizeV: f32, weightDecayV: f32, stepSizeU: f32, weightDecayU: f32, slot: u32, gradScale: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> sz: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> u: array<f32>;
@group(0) @binding(5) var<storage, read> state: array<u32>;
@group(0) @binding(6) var<storage, read> dW: array<f32>;
@group(0) @binding(7) var<storage, read_write> adam: array<f32>;
@group(0) @binding(8) var<storage, read_write> soft: array<f32>;
#if HALF_OUT
@group(0) @binding(9) var<storage, read_write> soft16: array<f16>;
@group(0) @binding(10) var<storage, read_write> overflow: array<atomic<u32>>;
#include "f16-overflow.wgsl"
#endif

const SEG = {{SEG}}u;
const PER = {{WG}}u / SEG;
// each group's new 2·rectsig(u), from its first lane to the others
var<workgroup> newF: array<f32, PER>;

/** torch.optim.Adam on one value whose first/second moments sit at adam[im], adam[iv]. */
fn adamUpdate(x: f32, grad: f32, im: u32, iv: u32, stepSize: f32, weightDecay: f32) -> f32 {
  let g = grad + weightDecay * x;
  let mi = p.beta1 * adam[im] + p.oneMinusBeta1 * g;
  let vi = p.beta2 * adam[iv] + p.oneMinusBeta2 * g * g;
  adam[im] = mi;
  adam[iv] = vi;
  return x - stepSize * mi / (sqrt(vi) * p.invSqrtBc2 + p.eps);
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lane = lid % SEG;
  let run = lid / SEG;
  let gi = (wid.x + wid.y * nwg.x) * PER + run;
  // past the last group: no work, but the barriers of the sum are the whole workgroup's
  let live = gi < p.rows * p.nGroups;
  let n = p.rows * p.cols;
  let nu = p.rows * p.nGroups;
  let g = min(gi, nu - 1u);
  let r = g / p.nGroups;
  let c0 = (g % p.nGroups) * p.groupSize;
  let c1 = select(c0, min(c0 + p.groupSize, p.cols), live);
  let s = sz[g].x;
  let z = sz[g].y;
  let uu = u[g];
  let f = 2.0 * tqRectSig(uu);
  var acc = 0.0;
  for (var c = c0 + lane; c < c1; c += SEG) {
    let i = r * p.cols + c;
    let vi = v[i];
    let x = tqCode(w[i], s, z, vi, state[i]);
    let gw = dW[i] * p.gradScale;
    v[i] = adamUpdate(vi, tqDv(gw, x, s, f, vi, state[i], p.qmax), i, n + i, p.stepSizeV, p.weightDecayV);
    acc += tqDuTerm(gw, x, s, z, p.qmax);
  }
  let total = segmentTreeSum(acc, lid, SEG);
  if (live && lane == 0u) {
    let du = total * 2.0 * tqRectSigGrad(uu);
    let un = adamUpdate(uu, du, 2u * n + gi, 2u * n + nu + gi, p.stepSizeU, p.weightDecayU);
    u[gi] = un;
    newF[run] = 2.0 * tqRectSig(un);
  }
  workgroupBarrier();
  let fNew = newF[run];
  // Each invocation reads back only the v entries it wrote itself.
  for (var c = c0 + lane; c < c1; c += SEG) {
    let i = r * p.cols + c;
    let q = clamp(tqCode(w[i], s, z, v[i], state[i]), 0.0, p.qmax);
    let sw = (q - z) * s * fNew;
    soft[i] = sw;
#if HALF_OUT
    soft16[i] = f16Counted(sw, p.slot);
#endif
  }
}
