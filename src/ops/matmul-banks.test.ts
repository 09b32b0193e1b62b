// Bank passes of the tensor-core kernel's workgroup tiles (shaders/matmul-subgroup.wgsl), from its
// layout: a tile is rows of COLS + 8 halves, or with STRIPS each subgroup's strip in an array of its
// own (strips of rows: the same addresses; strips of columns for A [K,M] and B [K,N]: each strip its
// own FM x 16 or FN x 16 columns plus 8 for all BK rows, then 32 halves before the next strip). On
// NVIDIA's 32 banks of 4 bytes, the rotated 16-byte copy must put each f16 store of a subgroup on
// 32 banks, and a fragment load's eight rows of 16 bytes must not share a bank (one pass each):
// a layout change that breaks this costs 13-20% (docs/half-precision.md, thirteenth round).
import { describe, expect, it } from 'vitest';
import { SUBGROUP_TILES, type SubgroupTile } from './matmul';
import { SUBGROUP_SWEEP_TILES } from './matmul-sweep-tiles';

const PAD = 8;
const SPAD = 32;

/** Address in halves of element (r, c) of a tile `rows` x `cols` (its stored layout). */
function address(r: number, c: number, rows: number, cols: number, stripCols: number): number {
  if (!stripCols) return r * (cols + PAD) + c;
  const ld = stripCols + PAD;
  return Math.floor(c / stripCols) * (rows * ld + SPAD) + r * ld + (c % stripCols);
}

/** The rotation of rotated-vec8.wgsl: lane vector v of a row of `per` vectors starts at this word. */
const rotation = (v: number, per: number) => (v >> (per === 2 ? 1 : per === 4 ? 2 : 3)) & 3;

/** Bank passes of one access of a subgroup touching these 4-byte words: most distinct words on a bank. */
function passes(words: number[]): number {
  const banks = new Map<number, Set<number>>();
  for (const w of words) banks.set(w % 32, (banks.get(w % 32) ?? new Set()).add(w));
  return Math.max(...[...banks.values()].map((s) => s.size));
}

/** Worst bank passes of one f16 store of a subgroup of 32 copying 16-byte vectors, rotated, into a
 * tile whose element (r, c) sits at half `at(r, c)`. */
function copyPasses(rows: number, cols: number, at: (r: number, c: number) => number): number {
  const per = cols / 8;
  let worst = 0;
  for (let v0 = 0; v0 < rows * per; v0 += 32)
    for (let j = 0; j < 8; j++) {
      const words: number[] = [];
      for (let v = v0; v < Math.min(v0 + 32, rows * per); v++) words.push(at(Math.floor(v / per), (v % per) * 8) / 2 + (((j >> 1) + rotation(v, per)) % 4));
      worst = Math.max(worst, passes(words));
    }
  return worst;
}

/** Worst bank passes of eight rows of 16 bytes (a fragment load's 8 x 8 block) anywhere in the tile. */
function fragmentPasses(rows: number, cols: number, stripCols: number): number {
  let worst = 0;
  for (let r0 = 0; r0 < rows; r0 += 8)
    for (let c0 = 0; c0 < cols; c0 += 8) {
      const words: number[] = [];
      for (let r = r0; r < r0 + 8; r++) for (let w = 0; w < 4; w++) words.push(address(r, c0, rows, cols, stripCols) / 2 + w);
      worst = Math.max(worst, passes(words));
    }
  return worst;
}

/** The four operand tiles of a tile (A [M,K], A [K,M], B [K,N], B [N,K]) with their column strips. */
function operands(t: SubgroupTile): [string, number, number, number][] {
  const bm = t.SG_M * t.FM * 16;
  const bn = t.SG_N * t.FN * 16;
  const strip = (w: number) => (t.STRIPS ? w : 0);
  return [
    ['A [M,K]', bm, t.BK, 0],
    ['A [K,M]', t.BK, bm, strip(t.FM * 16)],
    ['B [K,N]', t.BK, bn, strip(t.FN * 16)],
    ['B [N,K]', bn, t.BK, 0],
  ];
}

const rotatedTiles = Object.entries<SubgroupTile>({ ...SUBGROUP_TILES, ...SUBGROUP_SWEEP_TILES }).filter(([, t]) => t.LOAD === 'vec8r');

describe('tensor-core tiles: workgroup-memory bank passes', () => {
  it('has rotated-copy tiles with and without strips to check', () => {
    expect(rotatedTiles.some(([, t]) => t.STRIPS)).toBe(true);
    expect(rotatedTiles.some(([, t]) => !t.STRIPS)).toBe(true);
  });

  for (const [name, t] of rotatedTiles)
    it(`${name}: each rotated f16 store and each fragment load in one pass, every operand layout`, () => {
      for (const [op, rows, cols, stripCols] of operands(t)) {
        expect(
          copyPasses(rows, cols, (r, c) => address(r, c, rows, cols, stripCols)),
          `${name} ${op} copy`,
        ).toBe(1);
        expect(fragmentPasses(rows, cols, stripCols), `${name} ${op} fragments`).toBe(1);
      }
    });

  it('an unrotated copy of 16-byte vectors takes four passes (what the rotation is for)', () => {
    const words = Array.from({ length: 32 }, (_, v) => address(Math.floor(v / 4), (v % 4) * 8, 128, 32, 0) / 2);
    expect(passes(words)).toBe(4);
  });

  it('column strips without their 32-half gap would conflict (A [K,M] of 128 x 256 tiles)', () => {
    const gapless = (r: number, c: number) => Math.floor(c / 32) * (32 * 40) + r * 40 + (c % 32);
    expect(copyPasses(2, 128, gapless)).toBe(2);
  });
});
