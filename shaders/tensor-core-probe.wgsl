// Probe of the tensor cores' rate through WGSL subgroup matrices (bench only:
// src/cli/bench-tensor-probe.ts): the inner loop of shaders/matmul-subgroup.wgsl with parts taken
// away, to see which part holds the real kernel under its ceiling. A workgroup has the same
// subgroups, fragments and workgroup tiles as a tile of the real kernel (the x·W layout: A rows of
// BK, B rows of BN, padded by 8 halves); `steps` steps of BK along K, no global operands.
// REGS (registers): fragments loaded once from workgroup memory; each step only multiplies.
// neither (fragment loads): each step loads its fragments from workgroup memory, then multiplies.
// COPY (copies): the fragment loads plus each step's copy into the tiles as the real kernel does it (8 f16
// stores per 16-byte vector, one buffer, a barrier before and after), from registers, not memory.
// ONE_BARRIER (with COPY): no barrier before the copy, so the stores may overlap other subgroups'
// multiplies (races on the tiles: a timing of what a second buffer would give, not a product).
// U32_COPY (with COPY): the copy as the kernel's LOAD 'u32' makes it: 2 f16 stores per 4-byte
// vector, a subgroup's 32 vectors on consecutive words (rows of 16 paired r with r + 4), so that
// each store falls on 32 banks instead of 8.
// ROT_COPY (with COPY): the copy as the kernel's LOAD 'vec8r' makes it: 16-byte vectors stored a
// word pair at a time, each lane starting at another word (rotated-vec8.wgsl): 32 banks a store.
// FRAG_COPY (with COPY): the copy as whole 16 x 16 fragments (subgroupMatrixStore of a fragment
// held in registers, the tiles' fragments shared out among the subgroups) instead of 8 f16 stores
// per vector: what a copy through fragments (global -> fragment -> workgroup memory) would cost.
// The accumulators go to out at the end so that nothing is optimised away.
enable f16;
enable chromium_experimental_subgroup_matrix;

struct Params {
  steps: u32,
  seed: u32,
}

const F = 16u;
const SG_M = {{SG_M}}u;
const SG_N = {{SG_N}}u;
const FM = {{FM}}u;
const FN = {{FN}}u;
const BK = {{BK}}u;
const SUBGROUP = {{SUBGROUP}}u;
const BM = SG_M * FM * F;
const BN = SG_N * FN * F;
const NSG = SG_M * SG_N;
const WG = NSG * SUBGROUP;
const PAD = 8u;
const A_COLS = BK;
const B_COLS = BN;
const LDA = A_COLS + PAD;
const LDB = B_COLS + PAD;
const A_VECS = BM * BK / 8u;
const B_VECS = BK * BN / 8u;
const A_FRAGS = (BM / F) * (BK / F);
const B_FRAGS = (BK / F) * (BN / F);
const A_LOADS = (A_VECS + WG - 1u) / WG;
const A_WORDS = BM * BK / 2u;
const B_WORDS = BK * BN / 2u;
const A_WORD_LOADS = (A_WORDS + WG - 1u) / WG;
const B_WORD_LOADS = (B_WORDS + WG - 1u) / WG;
const B_LOADS = (B_VECS + WG - 1u) / WG;

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

var<workgroup> As: array<f16, BM * LDA>;
var<workgroup> Bs: array<f16, BK * LDB>;

#include "tile-slot-u32.wgsl"
#include "rotated-vec8.wgsl"

fn fill(i: u32) -> f16 {
  return f16(f32((i * 2654435761u + p.seed) >> 24u) / 256.0 - 0.5);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) tid: u32,
  @builtin(subgroup_id) sg: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  for (var i = tid; i < BM * LDA; i += WG) { As[i] = fill(i); }
  for (var i = tid; i < BK * LDB; i += WG) { Bs[i] = fill(i + 7919u); }
  workgroupBarrier();
  let sgM = (sg / SG_N) * FM * F;
  let sgN = (sg % SG_N) * FN * F;
#for I FM
#for J FN
  var acc{{I}}{{J}}: subgroup_matrix_result<f32, F, F>;
#endfor
#endfor
#if REGS
#for I FM
  let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, row_major>(&As, (sgM + {{I}}u * F) * LDA, LDA);
#endfor
#for J FN
  let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, row_major>(&Bs, sgN + {{J}}u * F, LDB);
#endfor
#endif
#if FRAG_COPY
  // one fragment's worth of values to store (the stores' cost does not depend on what they hold)
  let cf = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, row_major>(&As, (sg % (BM / F)) * F * LDA, LDA);
#else
#if U32_COPY
  var wA: array<u32, A_WORD_LOADS>;
  var wB: array<u32, B_WORD_LOADS>;
  for (var l = 0u; l < A_WORD_LOADS; l++) { wA[l] = tid * 3u + l + p.seed; }
  for (var l = 0u; l < B_WORD_LOADS; l++) { wB[l] = tid * 5u + l + p.seed; }
#else
#if COPY
  var rA: array<vec4<u32>, A_LOADS>;
  var rB: array<vec4<u32>, B_LOADS>;
  for (var l = 0u; l < A_LOADS; l++) { rA[l] = vec4<u32>(tid * 3u + l, tid, l, p.seed); }
  for (var l = 0u; l < B_LOADS; l++) { rB[l] = vec4<u32>(tid * 5u + l, tid, l, p.seed); }
#endif
#endif
#endif
  for (var step = 0u; step < p.steps; step++) {
#for KK KSTEPS
    {
#if REGS
#for I FM
#for J FN
      acc{{I}}{{J}} = subgroupMatrixMultiplyAccumulate(fa{{I}}, fb{{J}}, acc{{I}}{{J}});
#endfor
#endfor
#else
      // the step's offset along K rotates, so the loads cannot be hoisted out of the loop
      let kk = (({{KK}}u + step) % (BK / F)) * F;
#for I FM
      let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, row_major>(&As, (sgM + {{I}}u * F) * LDA + kk, LDA);
#endfor
#for J FN
      let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, row_major>(&Bs, kk * LDB + sgN + {{J}}u * F, LDB);
#endfor
#for I FM
#for J FN
      acc{{I}}{{J}} = subgroupMatrixMultiplyAccumulate(fa{{I}}, fb{{J}}, acc{{I}}{{J}});
#endfor
#endfor
#endif
    }
#endfor
#if COPY
#if !ONE_BARRIER
    workgroupBarrier();
#endif
#if FRAG_COPY
    // each tile's fragments dealt out to the subgroups in turn; the loops' bounds are constants so
    // that the stores stay in uniform control flow (a last round past the end repeats a fragment)
    for (var i = 0u; i < (A_FRAGS + NSG - 1u) / NSG; i++) {
      let f = min(i * NSG + sg, A_FRAGS - 1u);
      subgroupMatrixStore<row_major>(&As, (f / (BK / F)) * F * LDA + (f % (BK / F)) * F, cf, LDA);
    }
    for (var i = 0u; i < (B_FRAGS + NSG - 1u) / NSG; i++) {
      let g = min(i * NSG + sg, B_FRAGS - 1u);
      subgroupMatrixStore<row_major>(&Bs, (g / (BN / F)) * F * LDB + (g % (BN / F)) * F, cf, LDB);
    }
#else
#if U32_COPY
#for T in A B
    for (var l = 0u; l < {{T}}_WORD_LOADS; l++) {
      let v = tid + l * WG;
      if ({{T}}_WORDS % WG == 0u || v < {{T}}_WORDS) {
        let rc = slotU32(v, {{T}}_COLS);
        let o = rc.x * LD{{T}} + rc.y;
        let h = bitcast<vec2<f16>>(w{{T}}[l] ^ step);
        {{T}}s[o] = h.x;
        {{T}}s[o + 1u] = h.y;
      }
    }
#endfor
#else
#for T in A B
    for (var l = 0u; l < {{T}}_LOADS; l++) {
      let v = tid + l * WG;
      if ({{T}}_VECS % WG == 0u || v < {{T}}_VECS) {
        let o = (v / ({{T}}_COLS / 8u)) * LD{{T}} + (v % ({{T}}_COLS / 8u)) * 8u;
        let w = r{{T}}[l] ^ vec4<u32>(step);
#if ROT_COPY
        let q = rotationOf(v, {{T}}_COLS / 8u);
        let rw = rotated(w, q);
#for W 4
        {
          let ww = ({{W}}u + q) & 3u;
          let h = bitcast<vec2<f16>>(rw[{{W}}]);
          {{T}}s[o + 2u * ww] = h.x;
          {{T}}s[o + 2u * ww + 1u] = h.y;
        }
#endfor
#else
        let lo = bitcast<vec2<f16>>(w.x);
        let mid = bitcast<vec2<f16>>(w.y);
        let hi = bitcast<vec2<f16>>(w.z);
        let top = bitcast<vec2<f16>>(w.w);
        {{T}}s[o] = lo.x;
        {{T}}s[o + 1u] = lo.y;
        {{T}}s[o + 2u] = mid.x;
        {{T}}s[o + 3u] = mid.y;
        {{T}}s[o + 4u] = hi.x;
        {{T}}s[o + 5u] = hi.y;
        {{T}}s[o + 6u] = top.x;
        {{T}}s[o + 7u] = top.y;
#endif
      }
    }
#endfor
#endif
#endif
    workgroupBarrier();
#endif
  }
  let base = (wid.x * SG_M * SG_N + sg) * FM * FN * F * F;
#for I FM
#for J FN
  subgroupMatrixStore<row_major>(&out, base + ({{I}}u * FN + {{J}}u) * F * F, acc{{I}}{{J}}, F);
#endfor
#endfor
}
