// Tiles of the tensor-core kernel (shaders/matmul-subgroup.wgsl) that the engine does not choose: the
// candidates `bench-kernels --half-sweep` times beside SUBGROUP_TILES, and what each measured
// (docs/half-precision.md has every round's tables). Benchmarks and device tests only.
import type { SubgroupTile } from './matmul';

/** Candidate tiles timed by `bench-kernels --half-sweep` beside SUBGROUP_TILES (not used by the choice). */
export const SUBGROUP_SWEEP_TILES = {
  tall8checked: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, CHECKED: true },
  tall8vec4: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8 },
  w256x8: { SG_M: 2, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  w256k16: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 16, GROUP_M: 8, LOAD: 'vec8' },
  w256g16: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 16, LOAD: 'vec8', BUFFERS: 1 },
  w256g4: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 4, LOAD: 'vec8', BUFFERS: 1 },
  t256: { SG_M: 4, SG_N: 4, FM: 4, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  t256x8: { SG_M: 4, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  sq256: { SG_M: 4, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  t128x64: { SG_M: 4, SG_N: 2, FM: 2, FN: 2, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  // 128 threads of up to 255 registers (512 threads get 128 each on a 64K-register SM): room for 4 x 4
  // accumulators without spilling, and for two or three workgroups per SM to overlap their barriers.
  // Timed on the H200 (2026-12-05, docs/half-precision.md): q128b2 and q128k64 25-35% under wide16;
  // w64x256 2-5% over it where B is not transposed and 35% under for x·Wᵀ
  q128b2: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 2 },
  q128k64: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  w64x256: { SG_M: 1, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  // The copy into workgroup memory, whose f16 stores the probe (bench-tensor-probe) found halving the
  // rate (docs/half-precision.md, twelfth and thirteenth rounds). 16-byte loads put a subgroup's
  // stores on 8 banks (four passes); 4-byte loads (u32) on 32, for four times the loads: over
  // wide16vec8 in 29 of 33 timings on one H100, under it at all 22 on an H200 and another H100 the
  // next day. 16-byte loads stored in rotated order (vec8r, now wide16's) reach 32 banks without
  // more loads: 13-20% over wide16vec8 and 18-43% over wide16u32 at every shape (H100, 2026-12-05).
  // The copy through whole fragments (subgroupMatrixLoad from storage, subgroupMatrixStore into the
  // tile) ran at 60-75 TFLOP/s: its storage loads are slow.
  wide16vec8: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  wide16u32: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1 },
  tall8k64u32: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1 },
  w256x8u32: { SG_M: 2, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1 },
  tall8k64r: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 },
  w256x8r: { SG_M: 2, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 },
  // Producer subgroups (warp specialisation): copies overlapping the multiplies. Two buffers of
  // 128 x 256 fit the 48 KiB only at 16 along K (a barrier per 16: under every 32-deep tile);
  // 128 x 128 at 32. The rate grows with the producers (2, 4, 8: 70, 110, 125 at 4096³ on an H200)
  // and falls 2-4x with 4-byte loads. ws128p8r: 134-149 on the H100 where wide16 read 150-160,
  // over it at 1B up dW and 135M up.
  ws16p4v8: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 16, GROUP_M: 8, LOAD: 'vec8', PRODUCERS: 4 },
  ws128p4v8: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', PRODUCERS: 4 },
  ws128p8v8: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', PRODUCERS: 8 },
  ws128p4r: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4 },
  ws128p8r: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 8 },
  ws128x4p4r: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4 },
  // Loads issued two or three steps ahead (PREFETCH): a step of 128 x 128 x 32 is about 230 ns of
  // multiplies on an H100, under the latency of a load from L2 or HBM, which producers issuing one
  // step ahead must wait out; they hold no accumulators, so their extra registers cost nothing.
  // H100, 2026-12-06 (docs/half-precision.md, fourteenth round): two steps ahead 3-8% over ws128p8r,
  // over wide16 at five of 11 shapes (by 0.7-6%) and 0.5-8% under it at the other six; three steps
  // ahead, and two on the single-role tiles (wide16, w256x8r, tall8r), slower.
  ws128p8rf2: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 8, PREFETCH: 2 },
  // Each subgroup's strips of the tiles in arrays of their own (STRIPS: the fragments at constant
  // offsets in them). H200, 2026-12-06 (docs/half-precision.md, fifteenth round), two runs: on 8
  // subgroups of 4 x 4 fragments (w256x8s, the default until q128s) 10-21% over the same tile without strips
  // and 5-17% over wide16 at every shape; on wide16 itself -4% to +7%, on the producer tile 4-19% slower.
  // The defaults before q128s: 128 x 128 x 64 without strips (until 2026-12-06), 128 x 256 of 16
  // subgroups (wide16), then of 8 in strips (w256x8s), with tall8k64s for the transposed forms
  // (3-9% over w256x8s there on the fast H100 of 2026-12-06, 30-45% under q128s on another H100).
  tall8k64: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
  wide16: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 },
  w256x8s: { SG_M: 2, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  tall8k64s: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1, STRIPS: true },
  wide16s: { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  tall8k64rs: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  // next to w256x8s in strips (H100, 2026-12-06): two steps of loads in flight 2-12% slower,
  // 256 x 128 within -3% to +3%, 128 x 128 in two buffers 5-33% slower
  w256x8sf2: { SG_M: 2, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true, PREFETCH: 2 },
  t256x8s: { SG_M: 4, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  q128b2s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 2, STRIPS: true },
  ws128p8rf2s: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 8, PREFETCH: 2, STRIPS: true },
  // Around q128s (now the default; H100, 2026-12-06, docs/half-precision.md, sixteenth round): the
  // same tile without strips (q128r) or with the in-order copy (q128v8s) 15-20% slower, 64 along K
  // (q128k64s) 30% slower; two steps of loads in flight (q128sf2) +2-4% at 4096³ x·W and dyᵀ·x, -5 to
  // -9% at most other shapes; launch groups of 4 or 16 tile rows within 1-3% either way; 64 x 256,
  // 256 x 64 and 64 x 128 tiles 10-45% slower; in two buffers (q128b2s) 28-40% slower; the same 128 x
  // 128 as 8 subgroups of 2 x 4 fragments (tall8rs) 20-32% slower.
  q128k64s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1, STRIPS: true },
  w64x256s: { SG_M: 1, SG_N: 4, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  t256x64s: { SG_M: 4, SG_N: 1, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  q128sf2: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true, PREFETCH: 2 },
  w64x128s: { SG_M: 1, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  tall8rs: { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  q128g16s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 16, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  q128g4s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 4, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
  q128v8s: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1, STRIPS: true },
  q128r: { SG_M: 2, SG_N: 2, FM: 4, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 },
} satisfies Record<string, SubgroupTile>;
