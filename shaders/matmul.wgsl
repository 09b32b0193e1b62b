// out[b] = (ACCUMULATE ? out[b] : 0) + alpha * op(A[b]) · op(B[b]) + bias
// op(A) is [M,K]: A stored [M,K], or [K,M] when TRANS_A. op(B) is [K,N]: B stored [K,N], or [N,K]
// when TRANS_B. Workgroup z = batch * splits + split; a batch stride of 0 broadcasts a rank-2
// operand. Split-K (splits > 1): split s sums k in [s*kChunk, (s+1)*kChunk) and writes its
// partial product to out[z] (a [batch, splits, M, N] workspace, alpha = 1, no bias, no
// accumulation); shaders/matmul-splitk.wgsl then adds the splits up.
//
// Register-blocked tiling: a workgroup computes a BM x BN tile of out with (BM/TM)*(BN/TN)
// threads, each owning TM x TN outputs. Per step of BK along K, the A and B tiles are staged in
// workgroup memory k-major (As[k][m], Bs[k][n]) so the inner loop reads them as vec4s, and the
// next tiles are fetched from global memory into registers while the current ones are used
// (double-buffered workgroup memory, one barrier per step).
// A thread's rows are 4-row groups spaced BM/(TM/4) apart (likewise columns), so the 16 threads
// along N of a warp read 16 consecutive vec4s of Bs (no bank conflicts) and write 16-byte
// vectors of out side by side (coalesced).
// VEC_A / VEC_B / VEC_C: the operand's contiguous dimension is a multiple of 4, so it is bound
// as array<vec4<f32>>; otherwise scalar loads with per-element bounds checks. Every size works.
// ELEM: the storage type of A and B, f32 or f16 (F16: halves the bytes read; the tiles in workgroup
// memory and every product and sum stay f32). out and bias are f32 either way.
#if F16
enable f16;
#endif
struct Params {
  M: u32,
  N: u32,
  K: u32,
  strideA: u32, // elements between batches of A (0: shared by all batches)
  strideB: u32,
  alpha: f32,
  splits: u32,
  kChunk: u32, // multiple of BK
}

const BM = {{BM}}u;
const BN = {{BN}}u;
const BK = {{BK}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const GROUP_M = {{GROUP_M}}u; // tile-row grouping of the launch order, for L2 reuse
const TX = BN / TN; // threads along N
const TY = BM / TM; // threads along M
const WG = TX * TY;
const A_TILE = BM * BK / 4u; // vec4s in one A tile
const B_TILE = BN * BK / 4u;
const A_LOADS = (A_TILE + WG - 1u) / WG; // vec4 global loads per thread and step
const B_LOADS = (B_TILE + WG - 1u) / WG;
const TNV = TN / 4u;

@group(0) @binding(0) var<uniform> p: Params;
#if VEC_A
@group(0) @binding(1) var<storage, read> a: array<vec4<{{ELEM}}>>;
#else
@group(0) @binding(1) var<storage, read> a: array<{{ELEM}}>;
#endif
#if VEC_B
@group(0) @binding(2) var<storage, read> b: array<vec4<{{ELEM}}>>;
#else
@group(0) @binding(2) var<storage, read> b: array<{{ELEM}}>;
#endif
#if VEC_C
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#endif
#if HAS_BIAS
#if VEC_C
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
#else
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#endif

var<workgroup> As: array<vec4<f32>, 2u * A_TILE>;
var<workgroup> Bs: array<vec4<f32>, 2u * B_TILE>;

// Four consecutive elements along A's contiguous dimension, zero outside [0,outerEnd) x
// [0,innerEnd). (outer, inner) index the stored layout: (m, k) for A [M,K], (k, m) for A [K,M];
// ld is the row length (K or M), innerEnd <= ld (a split's end along k).
fn loadA4(base: u32, outer: u32, inner: u32, outerEnd: u32, innerEnd: u32, ld: u32) -> vec4<f32> {
  if (outer >= outerEnd || inner >= innerEnd) { return vec4<f32>(0.0); }
  let i = base + outer * ld + inner;
#if VEC_A
  return vec4<f32>(a[i / 4u]); // innerEnd % 4 == 0, so the whole vector is inside
#else
  var v = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (inner + c < innerEnd) { v[c] = f32(a[i + c]); }
  }
  return v;
#endif
}

fn loadB4(base: u32, outer: u32, inner: u32, outerEnd: u32, innerEnd: u32, ld: u32) -> vec4<f32> {
  if (outer >= outerEnd || inner >= innerEnd) { return vec4<f32>(0.0); }
  let i = base + outer * ld + inner;
#if VEC_B
  return vec4<f32>(b[i / 4u]);
#else
  var v = vec4<f32>(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (inner + c < innerEnd) { v[c] = f32(b[i + c]); }
  }
  return v;
#endif
}

@compute @workgroup_size(TX * TY)
fn main(
  @builtin(local_invocation_index) tid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let M = p.M;
  let N = p.N;
  let K = p.K;

  // Launch order: GROUP_M tile rows at a time walk across N, so concurrently running
  // workgroups share A rows and B columns in L2.
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

  let tx = tid % TX;
  let ty = tid / TX;

  var acc: array<vec4<f32>, TM * TNV>;
  var ra: array<vec4<f32>, A_LOADS>;
  var rb: array<vec4<f32>, B_LOADS>;

  let steps = select(0u, (kEnd - kBegin + BK - 1u) / BK, kEnd > kBegin);

  // Fetch step s of A and B into registers.
  // Loader thread layout: vector index v of the tile; the contiguous dimension varies fastest.
  // ---- fetch(0) and store into buffer 0
  for (var step = 0u; step <= steps; step++) {
    let k0 = kBegin + step * BK;
    // ---------------------------------------------- global -> registers (step < steps)
    if (step < steps) {
      for (var l = 0u; l < A_LOADS; l++) {
        let v = tid + l * WG;
#if TRANS_A
        // A is [K,M]: vectors along m
        let kk = v / (BM / 4u);
        let mm = (v % (BM / 4u)) * 4u;
        ra[l] = loadA4(baseA, k0 + kk, m0 + mm, kEnd, M, M);
#else
        // A is [M,K]: vectors along k
        let mm = v / (BK / 4u);
        let kk = (v % (BK / 4u)) * 4u;
        ra[l] = loadA4(baseA, m0 + mm, k0 + kk, M, kEnd, K);
#endif
        if (v >= A_TILE) { ra[l] = vec4<f32>(0.0); }
      }
      for (var l = 0u; l < B_LOADS; l++) {
        let v = tid + l * WG;
#if TRANS_B
        // B is [N,K]: vectors along k
        let nn = v / (BK / 4u);
        let kk = (v % (BK / 4u)) * 4u;
        rb[l] = loadB4(baseB, n0 + nn, k0 + kk, N, kEnd, K);
#else
        // B is [K,N]: vectors along n
        let kk = v / (BN / 4u);
        let nn = (v % (BN / 4u)) * 4u;
        rb[l] = loadB4(baseB, k0 + kk, n0 + nn, kEnd, N, N);
#endif
        if (v >= B_TILE) { rb[l] = vec4<f32>(0.0); }
      }
    }

    // ---------------------------------------------- compute on step-1 (buffer (step-1)%2)
    if (step > 0u) {
      let aBuf = ((step - 1u) % 2u) * A_TILE;
      let bBuf = ((step - 1u) % 2u) * B_TILE;
      for (var k = 0u; k < BK; k++) {
        var av: array<vec4<f32>, TM / 4u>;
        var bv: array<vec4<f32>, TNV>;
        for (var g = 0u; g < TM / 4u; g++) { av[g] = As[aBuf + k * (BM / 4u) + g * TY + ty]; }
        for (var g = 0u; g < TNV; g++) { bv[g] = Bs[bBuf + k * (BN / 4u) + g * TX + tx]; }
        for (var i = 0u; i < TM; i++) {
          let ai = vec4<f32>(av[i / 4u][i % 4u]);
          for (var j = 0u; j < TNV; j++) {
            acc[i * TNV + j] = fma(ai, bv[j], acc[i * TNV + j]);
          }
        }
      }
    }

    // ---------------------------------------------- registers -> buffer step%2
    if (step < steps) {
      let aBuf = (step % 2u) * A_TILE;
      let bBuf = (step % 2u) * B_TILE;
      for (var l = 0u; l < A_LOADS; l++) {
        let v = tid + l * WG;
        if (v < A_TILE) {
#if TRANS_A
          As[aBuf + v] = ra[l]; // same layout: [k][m]
#else
          // transpose: the 4 values run along k
          let mm = v / (BK / 4u);
          let kk = (v % (BK / 4u)) * 4u;
          for (var c = 0u; c < 4u; c++) {
            As[aBuf + ((kk + c) * BM + mm) / 4u][mm % 4u] = ra[l][c];
          }
#endif
        }
      }
      for (var l = 0u; l < B_LOADS; l++) {
        let v = tid + l * WG;
        if (v < B_TILE) {
#if TRANS_B
          let nn = v / (BK / 4u);
          let kk = (v % (BK / 4u)) * 4u;
          for (var c = 0u; c < 4u; c++) {
            Bs[bBuf + ((kk + c) * BN + nn) / 4u][nn % 4u] = rb[l][c];
          }
#else
          Bs[bBuf + v] = rb[l];
#endif
        }
      }
    }
    workgroupBarrier();
  }

  // ---------------------------------------------- epilogue
  let baseC = wid.z * M * N;
  for (var i = 0u; i < TM; i++) {
    let row = m0 + (i / 4u) * (4u * TY) + ty * 4u + i % 4u;
    if (row >= M) { continue; }
    for (var j = 0u; j < TNV; j++) {
      let col = n0 + j * (4u * TX) + tx * 4u;
      if (col >= N) { continue; }
      var v = p.alpha * acc[i * TNV + j];
      let o = baseC + row * N + col;
#if VEC_C
#if HAS_BIAS
      v += bias[col / 4u];
#endif
#if ACCUMULATE
      v += out[o / 4u];
#endif
      out[o / 4u] = v;
#else
      for (var c = 0u; c < 4u; c++) {
        if (col + c < N) {
          var s = v[c];
#if HAS_BIAS
          s += bias[col + c];
#endif
#if ACCUMULATE
          s += out[o + c];
#endif
          out[o + c] = s;
        }
      }
#endif
    }
  }
}
