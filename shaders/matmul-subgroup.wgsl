// Tensor-core matmul (Dawn's chromium_experimental_subgroup_matrix, Vulkan cooperative matrices):
// out[b] = (ACCUMULATE ? out[b] : 0) + alpha * op(A[b]) · op(B[b]) + bias, with A and B in f16 and
// every product summed in f32. Same forms, uniforms, batching and split-K as shaders/matmul.wgsl
// (see its header); ops/matmul.ts picks this kernel when the device offers f16 subgroup matrices.
//
// A workgroup is SG_M x SG_N subgroups of SUBGROUP invocations and computes a BM x BN tile of out;
// each subgroup owns FM x FN fragments of F x F (F = 16: the f16 -> f32 configuration every
// adapter with the feature lists). Per step of BK along K the A and B tiles are copied from
// global memory into workgroup memory in their stored layout (a transposed operand is then read as
// a column-major fragment, so no transposing copy): the next step's vectors are fetched into
// registers while the tensor cores work on the current step; BUFFERS 2 (double-buffered, one
// barrier per step) or 1 (half the memory, two barriers per step).
// Rows are padded by 8 halves (16 bytes) against bank conflicts of the fragment loads.
// DIRECT: no workgroup tiles; each subgroup loads its fragments straight from storage (the cache
// does the sharing). Only for whole tiles: M % BM, N % BN and the K range % 16 all zero, no
// vector bindings (ops/matmul.ts checks).
// WHOLE: every tile whole (M % BM, N % BN, K and the split chunk % BK zero; ops/matmul.ts checks):
// loads without bounds checks, and (unless STAGE_C) fragments stored straight into out, no staging
// block; with LOAD_VEC8 its copy into workgroup memory reads 16 bytes (8 halves as a vec4<u32>)
// per load instead of 8, with LOAD_U32 4 bytes (2 halves as a u32): more loads, but each f16 store
// of a subgroup then falls on 32 different banks of workgroup memory (16-byte vectors put a
// subgroup's 32 stores on 8 banks: four passes each, which held the kernel near 190 TFLOP/s); with
// LOAD_ROT 16 bytes per load, stored with each lane starting at another word (one pass each).
// Whole tiles never read out: ops/matmul.ts sends a bias or an accumulation there through the split-K
// sum pass (a kernel reading out ran 20-36% slower).
// WS (whole tiles, two buffers, no staged epilogue): PRODUCERS more subgroups only copy the tiles
// (store the registers into the next buffer, then fetch the step after it) while the SG_M x SG_N
// others only multiply, so that the copies overlap the tensor cores instead of taking turns with
// them between barriers (bench:tensor-probe measured the copies halving the rate).
// DEPTH (PREFETCH in ops/matmul.ts): register sets of loads in flight. With 1 (and no producers)
// each step's loads are issued at the top of the step before they are stored; AHEAD (producers, or
// DEPTH 2-3) issues each load as soon as the registers it fills are stored, DEPTH steps before its
// own store, so that a load has DEPTH steps of multiplies to arrive in.
enable f16;
enable chromium_experimental_subgroup_matrix;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  strideA: u32,
  strideB: u32,
  alpha: f32,
  splits: u32,
  kChunk: u32,
}

const F = 16u;
const SG_M = {{SG_M}}u;
const SG_N = {{SG_N}}u;
const FM = {{FM}}u;
const FN = {{FN}}u;
const BK = {{BK}}u; // = KSTEPS * F
const GROUP_M = {{GROUP_M}}u;
const SUBGROUP = {{SUBGROUP}}u;
const BM = SG_M * FM * F;
const BN = SG_N * FN * F;
const NSG = SG_M * SG_N;
const PRODUCERS = {{PRODUCERS}}u;
const WG = (NSG + PRODUCERS) * SUBGROUP;
#if WS
// the invocations that copy the tiles: the producer subgroups'
const COPIERS = PRODUCERS * SUBGROUP;
#else
const COPIERS = WG;
#endif
const PAD = 8u;
const BUFFERS = {{BUFFERS}}u;
// steps of loads in flight in registers (AHEAD: issued after the store, DEPTH steps on)
const DEPTH = {{DEPTH}}u;
#if LOAD_VEC8
// 8 halves per vector: vec4<u32>, unpacked with bitcast
alias Vec = vec4<u32>;
const VW = 8u;
#else
#if LOAD_U32
// 2 halves per vector: u32, unpacked with bitcast
alias Vec = u32;
const VW = 2u;
#else
alias Vec = vec4<f16>;
const VW = 4u;
#endif
#endif

#if TRANS_A
// A stored [K,M]: the tile is BK rows of BM
const A_ROWS = BK;
const A_COLS = BM;
#else
const A_ROWS = BM;
const A_COLS = BK;
#endif
#if TRANS_B
// B stored [N,K]: the tile is BN rows of BK
const B_ROWS = BN;
const B_COLS = BK;
#else
const B_ROWS = BK;
const B_COLS = BN;
#endif
// Each tile is an array of strips (arrays of their own). With STRIPS a strip is one subgroup's share
// of the fragments (SG_M strips of A, SG_N of B), so every fragment load names its strip and a
// constant offset inside it (with robustness on, 10-22% faster for 128 x 256 tiles of 4 x 4
// fragments; docs/half-precision.md, fifteenth round). Strips run along the fragments' varying
// coordinate: rows (same layout as one flat tile) for A [M,K] and B [N,K], columns for A [K,M] and
// B [K,N] (each strip BK rows of its own columns, padded by SPAD halves so the copy's and the
// fragment loads' banks stay one pass each: checked for every tile layout). Without STRIPS a tile is
// one strip.
const SPAD = 32u;
const A_FR = FM;
const B_FR = FN;
#for T in A B
#if {{T}}_COLSPLIT
const {{T}}_SW = {{T}}_FR * F;
const LD{{T}} = {{T}}_SW + PAD;
const {{T}}_NS = {{T}}_COLS / {{T}}_SW;
const {{T}}_SIZE = {{T}}_ROWS * LD{{T}} + SPAD;
#else
const {{T}}_SH = select({{T}}_ROWS, {{T}}_FR * F, {{STRIPS}});
const LD{{T}} = {{T}}_COLS + PAD;
const {{T}}_NS = {{T}}_ROWS / {{T}}_SH;
const {{T}}_SIZE = {{T}}_SH * LD{{T}};
#endif
#endfor
const A_VECS = A_ROWS * A_COLS / VW;
const B_VECS = B_ROWS * B_COLS / VW;
const A_LOADS = (A_VECS + COPIERS - 1u) / COPIERS;
const B_LOADS = (B_VECS + COPIERS - 1u) / COPIERS;

@group(0) @binding(0) var<uniform> p: Params;
#if VEC_A
@group(0) @binding(1) var<storage, read> a: array<Vec>;
#else
@group(0) @binding(1) var<storage, read> a: array<f16>;
#endif
#if VEC_B
@group(0) @binding(2) var<storage, read> b: array<Vec>;
#else
@group(0) @binding(2) var<storage, read> b: array<f16>;
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#if HAS_BIAS
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif

#if !DIRECT
var<workgroup> As: array<array<f16, A_SIZE>, BUFFERS * A_NS>;
var<workgroup> Bs: array<array<f16, B_SIZE>, BUFFERS * B_NS>;
#endif
#if STAGE_C
// one F x F f32 fragment per subgroup for the bounds-checked epilogue
var<workgroup> Cs: array<f32, SG_M * SG_N * F * F>;
#endif

#if LOAD_U32
#include "tile-slot-u32.wgsl"
#endif
#if LOAD_ROT
#include "rotated-vec8.wgsl"
#endif

// The tile position (row, first column) of vector v of a tile `cols` halves wide: row-major, but
// for 4-byte vectors laid out against bank conflicts (tile-slot-u32.wgsl).
fn slot(v: u32, cols: u32) -> vec2<u32> {
#if LOAD_U32
  return slotU32(v, cols);
#else
  let per = cols / VW;
  return vec2<u32>(v / per, (v % per) * VW);
#endif
}

#if !WHOLE
// Four consecutive halves of a stored operand at (row, col), zero outside rows < rowEnd,
// cols < colEnd; ld is the stored row length (colEnd <= ld).
fn loadA4(base: u32, row: u32, col: u32, rowEnd: u32, colEnd: u32, ld: u32) -> vec4<f16> {
  if (row >= rowEnd || col >= colEnd) { return vec4<f16>(0.0h); }
  let i = base + row * ld + col;
#if VEC_A
  return a[i / 4u];
#else
  var v = vec4<f16>(0.0h);
  for (var c = 0u; c < 4u; c++) {
    if (col + c < colEnd) { v[c] = a[i + c]; }
  }
  return v;
#endif
}

fn loadB4(base: u32, row: u32, col: u32, rowEnd: u32, colEnd: u32, ld: u32) -> vec4<f16> {
  if (row >= rowEnd || col >= colEnd) { return vec4<f16>(0.0h); }
  let i = base + row * ld + col;
#if VEC_B
  return b[i / 4u];
#else
  var v = vec4<f16>(0.0h);
  for (var c = 0u; c < 4u; c++) {
    if (col + c < colEnd) { v[c] = b[i + c]; }
  }
  return v;
#endif
}

#endif

#if !DIRECT
// Global memory -> registers: copier ct's vectors of the A and B tiles at k0.
fn fetchTiles(rA: ptr<function, array<Vec, A_LOADS>>, rB: ptr<function, array<Vec, B_LOADS>>, ct: u32, baseA: u32, baseB: u32, m0: u32, n0: u32, k0: u32, kEnd: u32) {
  let M = p.M;
  let N = p.N;
  let K = p.K;
  for (var l = 0u; l < A_LOADS; l++) {
    let v = ct + l * COPIERS;
    let rc = slot(v, A_COLS);
    let r = rc.x;
    let c = rc.y;
#if WHOLE
    if (A_VECS % COPIERS == 0u || v < A_VECS) {
#if TRANS_A
      (*rA)[l] = a[(baseA + (k0 + r) * M + m0 + c) / VW];
#else
      (*rA)[l] = a[(baseA + (m0 + r) * K + k0 + c) / VW];
#endif
    }
#else
#if TRANS_A
    (*rA)[l] = loadA4(baseA, k0 + r, m0 + c, kEnd, M, M);
#else
    (*rA)[l] = loadA4(baseA, m0 + r, k0 + c, M, kEnd, K);
#endif
#endif
  }
  for (var l = 0u; l < B_LOADS; l++) {
    let v = ct + l * COPIERS;
    let rc = slot(v, B_COLS);
    let r = rc.x;
    let c = rc.y;
#if WHOLE
    if (B_VECS % COPIERS == 0u || v < B_VECS) {
#if TRANS_B
      (*rB)[l] = b[(baseB + (n0 + r) * K + k0 + c) / VW];
#else
      (*rB)[l] = b[(baseB + (k0 + r) * N + n0 + c) / VW];
#endif
    }
#else
#if TRANS_B
    (*rB)[l] = loadB4(baseB, n0 + r, k0 + c, N, kEnd, K);
#else
    (*rB)[l] = loadB4(baseB, k0 + r, n0 + c, kEnd, N, N);
#endif
#endif
  }
}

// Registers -> workgroup buffer bufS: copier ct's vectors of the A and B tiles, as fetchTiles loaded them.
fn storeTiles(rA: ptr<function, array<Vec, A_LOADS>>, rB: ptr<function, array<Vec, B_LOADS>>, ct: u32, bufS: u32) {
#for T in A B
  for (var l = 0u; l < {{T}}_LOADS; l++) {
    let v = ct + l * COPIERS;
    if ({{T}}_VECS % COPIERS == 0u || v < {{T}}_VECS) {
      // (row, column) of vector v in the tile, as fetchTiles loaded it
      let rc = slot(v, {{T}}_COLS);
      let r = rc.x;
      let c = rc.y;
#if {{T}}_COLSPLIT
      let si = bufS * {{T}}_NS + c / {{T}}_SW;
      let o = r * LD{{T}} + c % {{T}}_SW;
#else
      let si = bufS * {{T}}_NS + r / {{T}}_SH;
      let o = (r % {{T}}_SH) * LD{{T}} + c;
#endif
      let x = (*r{{T}})[l];
#if LOAD_U32
      let h = bitcast<vec2<f16>>(x);
      {{T}}s[si][o] = h.x;
      {{T}}s[si][o + 1u] = h.y;
#else
#if LOAD_ROT
      // (rotated-vec8.wgsl: each f16 store of a subgroup on 32 banks)
      let q = rotationOf(v, {{T}}_COLS / VW);
      let rx = rotated(x, q);
#for W 4
      {
        let ww = ({{W}}u + q) & 3u;
        let h = bitcast<vec2<f16>>(rx[{{W}}]);
        {{T}}s[si][o + 2u * ww] = h.x;
        {{T}}s[si][o + 2u * ww + 1u] = h.y;
      }
#endfor
#else
#if LOAD_VEC8
#for W 4
      {
        let h = bitcast<vec2<f16>>(x[{{W}}]);
        {{T}}s[si][o + 2u * {{W}}u] = h.x;
        {{T}}s[si][o + 2u * {{W}}u + 1u] = h.y;
      }
#endfor
#else
#for W 4
      {{T}}s[si][o + {{W}}u] = x[{{W}}];
#endfor
#endif
#endif
#endif
    }
  }
#endfor
}

#endif

#if STAGE_C
// Writes one F x F fragment staged in Cs[cs..] to out at (row0, col0), with bounds, alpha, bias and
// accumulation; called by every invocation (it holds barriers).
fn stageOut(cs: u32, row0: u32, col0: u32, lane: u32, baseC: u32) {
  workgroupBarrier();
  for (var e = lane; e < F * F; e += SUBGROUP) {
    let row = row0 + e / F;
    let col = col0 + e % F;
    if (row < p.M && col < p.N) {
      var s = p.alpha * Cs[cs + e];
#if HAS_BIAS
      s += bias[col];
#endif
      let o = baseC + row * p.N + col;
#if ACCUMULATE
      s += out[o];
#endif
      out[o] = s;
    }
  }
  workgroupBarrier();
}
#endif

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) tid: u32,
  @builtin(subgroup_id) sg: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = p.M;
  let N = p.N;
  let K = p.K;

  // launch order: GROUP_M tile rows at a time walk across N (L2 reuse), as in matmul.wgsl
  let tilesN = nwg.x;
  let tilesM = nwg.y;
  let linear = wid.y * tilesN + wid.x;
  let perGroup = GROUP_M * tilesN;
  let firstM = (linear / perGroup) * GROUP_M;
  let groupRows = min(tilesM - firstM, GROUP_M);
  let inGroup = linear % perGroup;
  let m0 = (firstM + inGroup % groupRows) * BM;
  let n0 = (inGroup / groupRows) * BN;

  let batch = wid.z / p.splits;
  let kBegin = (wid.z % p.splits) * p.kChunk;
  let kEnd = min(K, kBegin + p.kChunk);
  let baseA = batch * p.strideA;
  let baseB = batch * p.strideB;

  // this subgroup's fragment block inside the tile
#if WS
  // (a producer's: the last consumer's, so that its accumulators stay inside the tile)
  let sgc = min(sg, NSG - 1u);
#else
  let sgc = sg;
#endif
  let sgM = (sgc / SG_N) * FM * F;
  let sgN = (sgc % SG_N) * FN * F;

  let baseC = wid.z * M * N;
  // one variable per fragment (unrolled with #for): an indexed array of them spills to memory
#for I FM
#for J FN
  var acc{{I}}{{J}}: subgroup_matrix_result<f32, F, F>;
#endfor
#endfor
#if DIRECT
  for (var k0 = kBegin; k0 < kEnd; k0 += F) {
#for I FM
#if TRANS_A
      let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, col_major>(&a, baseA + k0 * M + m0 + sgM + {{I}}u * F, M);
#else
      let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, row_major>(&a, baseA + (m0 + sgM + {{I}}u * F) * K + k0, K);
#endif
#endfor
#for J FN
#if TRANS_B
      let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, col_major>(&b, baseB + (n0 + sgN + {{J}}u * F) * K + k0, K);
#else
      let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, row_major>(&b, baseB + k0 * N + n0 + sgN + {{J}}u * F, N);
#endif
#endfor
#for I FM
#for J FN
        acc{{I}}{{J}} = subgroupMatrixMultiplyAccumulate(fa{{I}}, fb{{J}}, acc{{I}}{{J}});
#endfor
#endfor
  }
#else
#for S DEPTH
  var rA{{S}}: array<Vec, A_LOADS>;
  var rB{{S}}: array<Vec, B_LOADS>;
#endfor

  let steps = select(0u, (kEnd - kBegin + BK - 1u) / BK, kEnd > kBegin);
#if WS
  // producers copy, the others multiply (each branch is uniform within a subgroup)
  let producer = sg >= NSG;
  let consumer = !producer;
  let ct = (sg - NSG) * SUBGROUP + lane;
#else
  let producer = true;
  let consumer = true;
  let ct = tid;
#endif
#if AHEAD
  // the first DEPTH steps' loads in flight before the loop; each later one is issued as its
  // registers are stored, DEPTH steps ahead of the step that stores it
#for S DEPTH
  if (producer && {{S}}u < steps) {
    fetchTiles(&rA{{S}}, &rB{{S}}, ct, baseA, baseB, m0, n0, kBegin + {{S}}u * BK, kEnd);
  }
#endfor
#endif
  // DEPTH steps per pass, so that each names its own registers (an indexed array of them would
  // live in memory)
  for (var s0 = 0u; s0 <= steps; s0 += DEPTH) {
#for S DEPTH
   let step{{S}} = s0 + {{S}}u;
   if (step{{S}} <= steps) {
    let step = step{{S}};
    let k0 = kBegin + step * BK;
#if !AHEAD
    // ---------------------------------------------- global -> registers (their latency hides behind the multiplies)
    if (step < steps) {
      fetchTiles(&rA{{S}}, &rB{{S}}, ct, baseA, baseB, m0, n0, k0, kEnd);
    }
#endif

    // ---------------------------------------------- tensor cores on step-1
    if (consumer && step > 0u) {
      let bufS = (step - 1u) % BUFFERS;
#if STRIPS
      // this subgroup's strips; the fragments sit at constant offsets inside them
      let pA = &As[bufS * A_NS + sgc / SG_N];
      let pB = &Bs[bufS * B_NS + sgc % SG_N];
      const mA = 0u;
      const nB = 0u;
#else
      let pA = &As[bufS];
      let pB = &Bs[bufS];
      let mA = sgM;
      let nB = sgN;
#endif
#for KK KSTEPS
      {
        const kk = {{KK}}u * F;
#for I FM
#if TRANS_A
          let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, col_major>(pA, kk * LDA + mA + {{I}}u * F, LDA);
#else
          let fa{{I}} = subgroupMatrixLoad<subgroup_matrix_left<f16, F, F>, row_major>(pA, (mA + {{I}}u * F) * LDA + kk, LDA);
#endif
#endfor
#for J FN
#if TRANS_B
          let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, col_major>(pB, (nB + {{J}}u * F) * LDB + kk, LDB);
#else
          let fb{{J}} = subgroupMatrixLoad<subgroup_matrix_right<f16, F, F>, row_major>(pB, kk * LDB + nB + {{J}}u * F, LDB);
#endif
#endfor
#for I FM
#for J FN
        acc{{I}}{{J}} = subgroupMatrixMultiplyAccumulate(fa{{I}}, fb{{J}}, acc{{I}}{{J}});
#endfor
#endfor
      }
#endfor
    }

#if SINGLE
    // one buffer: every subgroup is done reading it before it is overwritten
    workgroupBarrier();
#endif
    // ---------------------------------------------- registers -> buffer step % BUFFERS
    if (producer && step < steps) {
      storeTiles(&rA{{S}}, &rB{{S}}, ct, step % BUFFERS);
#if AHEAD
      // and the load DEPTH steps on into the registers just freed
      if (step + DEPTH < steps) {
        fetchTiles(&rA{{S}}, &rB{{S}}, ct, baseA, baseB, m0, n0, k0 + DEPTH * BK, kEnd);
      }
#endif
    }
    workgroupBarrier();
   }
#endfor
  }

#endif

  // ---------------------------------------------- epilogue
#if WS
  if (producer) {
    return;
  }
#endif
#if STAGE_C
  // (fragment stores want 16-byte aligned rows: N % 4 == 0)
  let inside = m0 + BM <= M && n0 + BN <= N && N % 4u == 0u;
#if !HAS_BIAS
#if !ACCUMULATE
  // whole tile inside: fragments go straight to memory
  if (inside) {
#for I FM
#for J FN
    subgroupMatrixStore<row_major>(&out, baseC + (m0 + sgM + {{I}}u * F) * N + n0 + sgN + {{J}}u * F, subgroupMatrixScalarMultiply(acc{{I}}{{J}}, p.alpha), N);
#endfor
#endfor
    return;
  }
#endif
#endif
  // otherwise through this subgroup's F x F staging block, element by element with bounds
  let cs = sg * F * F;
#for I FM
#for J FN
  subgroupMatrixStore<row_major>(&Cs, cs, acc{{I}}{{J}}, F);
  stageOut(cs, m0 + sgM + {{I}}u * F, n0 + sgN + {{J}}u * F, lane, baseC);
#endfor
#endfor
#else
  // whole tiles
#for I FM
#for J FN
  subgroupMatrixStore<row_major>(&out, baseC + (m0 + sgM + {{I}}u * F) * N + n0 + sgN + {{J}}u * F, subgroupMatrixScalarMultiply(acc{{I}}{{J}}, p.alpha), N);
#endfor
#endfor
#endif
}
