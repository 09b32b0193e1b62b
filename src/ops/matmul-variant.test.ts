// Which form of the tensor-core kernel a product runs (subgroupVariant, seen in the pipeline's
// parameters on a fake device): whole tiles store fragments straight to out, a bias or an
// accumulation going through the sum pass; ragged ones stage their epilogue and run without
// producer subgroups (whose loop has no barriers to share with it); the rotated 16-byte copy only on
// whole tiles; tiles that cannot run are refused.
import { describe, expect, it } from 'vitest';
import { fakeGpu } from '../gpu/testing/fake-device';
import { matmul, type MatmulOptions, type SubgroupTile } from './matmul';

const LIMITS = { maxComputeWorkgroupStorageSize: 48 * 1024, maxComputeInvocationsPerWorkgroup: 1024 };
const PRODUCER_TILE: SubgroupTile = { SG_M: 4, SG_N: 2, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4 };

const keyParams = (key: string): Record<string, string> =>
  Object.fromEntries(
    key
      .split('|')[1]
      .split(',')
      .map((kv) => kv.split('=') as [string, string]),
  );

/** The parameters of the tensor-core dispatch of a product m x k · k x n, and of its sum pass if any. */
function dispatches(m: number, k: number, n: number, opts: MatmulOptions = {}): { p: Record<string, string>; sum?: Record<string, string> } {
  const { gpu, calls } = fakeGpu(LIMITS, true);
  const a = gpu.tensor(opts.transA ? [k, m] : [m, k], 'f16');
  const b = gpu.tensor(opts.transB ? [n, k] : [k, n], 'f16');
  matmul(gpu, a, b, { subgroupTile: PRODUCER_TILE, ...opts });
  gpu.flush();
  const keys = calls.dispatches.map((d) => d.pipeline);
  const key = keys.find((p) => p.startsWith('matmul-subgroup.wgsl'));
  if (!key) throw new Error('no tensor-core dispatch');
  const sum = keys.find((p) => p.startsWith('matmul-splitk.wgsl'));
  return { p: keyParams(key), sum: sum === undefined ? undefined : keyParams(sum) };
}

const params = (m: number, k: number, n: number, opts: MatmulOptions = {}) => dispatches(m, k, n, opts).p;

describe('tensor-core kernel variants', () => {
  it('whole tiles with straight stores run with the producer subgroups', () => {
    for (const opts of [{ transB: true }, {}, { transA: true }, { alpha: 0.5 }, { splitK: 2 }] as MatmulOptions[]) {
      const p = params(256, 512, 256, opts);
      expect([p.WS, p.PRODUCERS, p.WHOLE, p.STAGE_C, p.LOAD_ROT], JSON.stringify(opts)).toEqual(['true', '4', 'true', 'false', 'true']);
    }
  });

  it('whole tiles with a bias or accumulating run the plain kernel (producers kept) and add them in the sum pass', () => {
    const { gpu } = fakeGpu(LIMITS, true);
    const cases: MatmulOptions[] = [
      { transB: true, bias: gpu.tensor([256]) },
      { transA: true, accumulate: true, out: gpu.tensor([256, 256]) },
      { accumulate: true, alpha: 0.5, out: gpu.tensor([256, 256]) },
    ];
    for (const opts of cases) {
      const { p, sum } = dispatches(256, 512, 256, opts);
      expect([p.WS, p.STAGE_C, p.HAS_BIAS, p.ACCUMULATE], JSON.stringify(opts)).toEqual(['true', 'false', 'false', 'false']);
      expect([sum?.HAS_BIAS, sum?.ACCUMULATE], JSON.stringify(opts)).toEqual([String(Boolean(opts.bias)), String(Boolean(opts.accumulate))]);
    }
    // without either: no second pass
    expect(dispatches(256, 512, 256, { transB: true, alpha: 0.5 }).sum).toBeUndefined();
  });

  it('a ragged shape stages its epilogue (bias and accumulation in the kernel) and runs the tile without producers', () => {
    const { gpu } = fakeGpu(LIMITS, true);
    const cases: MatmulOptions[] = [{ transB: true }, { transB: true, bias: gpu.tensor([256]) }, { accumulate: true, alpha: 0.5, out: gpu.tensor([250, 256]) }];
    for (const opts of cases) {
      const { p, sum } = dispatches(250, 512, 256, opts);
      expect([p.WS, p.PRODUCERS, p.STAGE_C, p.HAS_BIAS, p.ACCUMULATE]).toEqual([
        'false',
        '0',
        'true',
        String(Boolean(opts.bias)),
        String(Boolean(opts.accumulate)),
      ]);
      expect(sum).toBeUndefined();
    }
    // ragged: bounds-checked 8-byte loads, not the rotated copy
    expect(params(250, 512, 256, { transB: true }).LOAD_ROT).toBe('false');
  });

  it('producers need two buffers and no direct loads', () => {
    const { gpu } = fakeGpu(LIMITS, true);
    const x = gpu.tensor([256, 512], 'f16');
    const w = gpu.tensor([256, 512], 'f16');
    expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: { ...PRODUCER_TILE, BUFFERS: 1 } })).toThrow(/bad subgroup tile/);
    expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: { ...PRODUCER_TILE, DIRECT: true } })).toThrow(/bad subgroup tile/);
    expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: { ...PRODUCER_TILE, PRODUCERS: 1.5 } })).toThrow(/bad subgroup tile/);
  });

  it('loads issued steps ahead: the depth asked, issued after the stores (always so with producers); 1 to 3', () => {
    const single = { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 } satisfies SubgroupTile;
    const depth = (t: SubgroupTile) => {
      const p = params(256, 512, 256, { transB: true, subgroupTile: t });
      return [p.DEPTH, p.AHEAD];
    };
    expect(depth(single)).toEqual(['1', 'false']);
    expect(depth({ ...single, PREFETCH: 2 })).toEqual(['2', 'true']);
    expect(depth(PRODUCER_TILE)).toEqual(['1', 'true']);
    expect(depth({ ...PRODUCER_TILE, PREFETCH: 3 })).toEqual(['3', 'true']);
    const { gpu } = fakeGpu(LIMITS, true);
    const [x, w] = [gpu.tensor([256, 512], 'f16'), gpu.tensor([256, 512], 'f16')];
    for (const PREFETCH of [0, 4, 1.5]) expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: { ...single, PREFETCH } })).toThrow(/bad subgroup tile/);
  });

  it('strips: across rows for A [M,K] and B [N,K], across columns for A [K,M] and B [K,N]; one flat tile without', () => {
    const strips = { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true } satisfies SubgroupTile;
    const layout = (t: SubgroupTile, opts: MatmulOptions) => {
      const p = params(256, 512, 256, { ...opts, subgroupTile: t });
      return [p.STRIPS, p.A_COLSPLIT, p.B_COLSPLIT];
    };
    // x·Wᵀ: A [M,K] and B [N,K] in strips of rows; x·W: B [K,N] across its columns; dyᵀ·x: A [K,M] too
    expect(layout(strips, { transB: true })).toEqual(['true', 'false', 'false']);
    expect(layout(strips, {})).toEqual(['true', 'false', 'true']);
    expect(layout(strips, { transA: true })).toEqual(['true', 'true', 'true']);
    // without: each tile one flat strip
    expect(layout({ ...strips, STRIPS: false }, {})).toEqual(['false', 'false', 'false']);
  });

  it('column strips take their pads from the workgroup memory the device allows', () => {
    // 128 x 256 x 32 in two buffers: flat 2 x 2 x (128 x 40 + 32 x 264) = 54,272 bytes; B across
    // its columns 4 strips of 32 x 72 + 32: 2 x 2 x (5,120 + 9,344) = 57,856 (x·W); both fit 64 KiB only
    const tile = { SG_M: 4, SG_N: 4, FM: 2, FN: 4, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 2 } satisfies SubgroupTile;
    const run = (limit: number, t: SubgroupTile) => {
      const { gpu } = fakeGpu({ ...LIMITS, maxComputeWorkgroupStorageSize: limit }, true);
      matmul(gpu, gpu.tensor([256, 512], 'f16'), gpu.tensor([512, 256], 'f16'), { subgroupTile: t });
    };
    expect(() => run(55_000, tile)).not.toThrow();
    expect(() => run(55_000, { ...tile, STRIPS: true })).toThrow(/exceeds this device's workgroup limits/);
    expect(() => run(57_856, { ...tile, STRIPS: true })).not.toThrow();
  });

  it('the producers count toward the workgroup size the device allows', () => {
    const { gpu } = fakeGpu({ ...LIMITS, maxComputeInvocationsPerWorkgroup: 256 }, true);
    const x = gpu.tensor([256, 512], 'f16');
    const w = gpu.tensor([256, 512], 'f16');
    // 8 multiplying subgroups of 32 are 256 invocations; 4 producers more exceed the limit
    expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: PRODUCER_TILE })).toThrow(/exceeds this device's workgroup limits/);
    expect(() => matmul(gpu, x, w, { transB: true, subgroupTile: { ...PRODUCER_TILE, PRODUCERS: 0 } })).not.toThrow();
  });
});
