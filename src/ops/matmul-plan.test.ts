// Where the tensor-core matmul splits K (chooseSubgroupPlan): under 128 workgroups, and only for
// K of 2048 and more. At the 512-token products of a TEQ step (K 192-1536) every split timed
// slower than none on the H200 (bench-small-products, docs/half-precision.md); TesseraQ's weight
// gradients over 2048 tokens and the LM head's input gradient (K 49,152) gained from it.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { chooseSubgroupPlan, SUBGROUP_TILES } from './matmul';

const { gpu } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024, maxComputeInvocationsPerWorkgroup: 1024 }, true);
const plan = (m: number, n: number, k: number, transA = false, transB = false) => chooseSubgroupPlan(gpu, m, n, k, 1, transA, transB).splitK;

describe('tensor-core K splits', () => {
  it("a TEQ step's products (SmolLM2-135M, 512 tokens) run unsplit", () => {
    expect(plan(512, 576, 576, false, true)).toBe(1); // q x·Wᵀ: 72 workgroups of 64 x 64
    expect(plan(512, 576, 1536, false, true)).toBe(1); // down x·Wᵀ
    expect(plan(576, 576, 512, true, false)).toBe(1); // q dyᵀ·x
    expect(plan(512, 576, 1536)).toBe(1); // gate dy·W
  });

  it('long K over few outputs still splits', () => {
    expect(plan(576, 576, 2048, true, false)).toBeGreaterThan(1); // TesseraQ's q dyᵀ·x over 4 x 512 tokens
    expect(plan(512, 576, 49152)).toBeGreaterThan(1); // the LM head's input gradient
  });

  it('whole tiles: 128 x 128 of 4 subgroups in strips in every form; ragged ones the checked 128 x 128', () => {
    const tile = (m: number, n: number, k: number, transA = false, transB = false) => chooseSubgroupPlan(gpu, m, n, k, 1, transA, transB).tile;
    expect(tile(2048, 8192, 2048)).toEqual(SUBGROUP_TILES.q128s); // 1B up dx
    expect(tile(2048, 8192, 2048, false, true)).toEqual(SUBGROUP_TILES.q128s); // 1B up
    expect(tile(8192, 2048, 2048, true, false)).toEqual(SUBGROUP_TILES.q128s); // 1B up dW
    expect(tile(2048, 1536 + 64, 2048)).toEqual(SUBGROUP_TILES.tall8); // N not a multiple of 128
    expect(tile(2048, 1536, 2048 + 16)).toEqual(SUBGROUP_TILES.tall8); // K not a multiple of 32
  });

  it('enough workgroups: no split however long K is', () => {
    expect(plan(2048, 2048, 8192, false, true)).toBe(1); // 256 tiles of 128 x 128
    expect(plan(1024, 2048, 8192)).toBe(1); // 128 tiles of 128 x 128
  });
});
