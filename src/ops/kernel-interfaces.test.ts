// Every op in every kernel variant it uses, without a GPU: on a fake device each kernel
// declaration is checked against its WGSL when the variant's pipeline is built, and each
// dispatch's names against the variant; on Dawn's null backend (nothing runs) every variant's WGSL
// is compiled and validated with its bind group layout. The numbers are the GPU tests' business
// (*.gpu-test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { create, globals } from 'webgpu';
import { acquireDevice, SUBGROUP_MATRIX_FEATURE, type AcquiredDevice } from '../gpu/device';
import { Gpu } from '../gpu/gpu';
import { fakeGpu } from '../gpu/testing/fake-device';
import { dispatchProbe, probeOutFloats, PROBE_MODES } from '../cli/tensor-probe-kernel';
import { gelu, geluBackward, relu, reluBackward, swiglu, swigluBackward } from './activation';
import { adamStep } from './adam';
import { causalAttention, causalAttentionBackward } from './attention';
import { awqScales, clipSearch, colAbsMean } from './awq';
import { addRowVector, mulColVector, mulRowVector } from './broadcast';
import { crossEntropy, crossEntropyBackward } from './cross-entropy';
import { add, axpy, scale, square } from './elementwise';
import { embeddingBackward, embeddingGather } from './embedding';
import { matmul, subgroupTileFits, SUBGROUP_TILES, type SubgroupTile } from './matmul';
import { castToF16, type HalfOut } from './cast';
import { packBytes } from './pack-bytes';
import { setHalfLinears } from './precision';
import { mseWithGrad, sumInto } from './mse-grad';
import { normBackwardDx, normDxHalfFits } from './norm-dx';
import { layerNorm, layerNormBackward, normForwardFits, rmsNorm, rmsNormBackward } from './norm';
import { dequantizeWeight, quantizeWeight } from './quantize';
import { diagonal, gptqColumns, hessian, prepareWeights, upperCholeskyOfInverse } from './gptq';
import { meanSquaredError, sumAll, sumCols, sumRows, sumSquares } from './reduce';
import { rope, ropeInputs, ropeSideBySide, ropeSideBySideInverse, ropeSplitsV } from './rope';
import { logsumexpRows, softmaxRows } from './softmax';
import { clampMin, teqColSum, teqColSumTable, teqEffectiveGroup, teqEffectiveHalfFits, teqGradGroup } from './teq';
import { tqAdamState, tqExport, tqGrad, tqHalfFits, tqHardenQuantile, tqHarden, tqInit, tqSoftWeight, tqStats, tqStep } from './tesseraq';

const spec = { bits: 3, groupSize: 8, symmetric: false };

let dawn: Promise<Gpu> | null = null;
// Dawn lives as long as its GPU object is referenced.
let dawnGpu: GPU | null = null;
async function dawnNullGpu(): Promise<Gpu> {
  Object.assign(globalThis, globals);
  dawnGpu = create(['backend=null']);
  return new Gpu(await acquireDevice(dawnGpu));
}
afterAll(async () => {
  if (dawn) (await dawn).destroy();
  dawnGpu = null;
});

function each(name: string, run: (gpu: Gpu) => void) {
  it(`${name}: declarations match the WGSL`, () => {
    const { gpu, calls } = fakeGpu();
    run(gpu);
    gpu.flush();
    expect(calls.dispatches.length).toBeGreaterThan(0);
  });
  it(`${name}: the WGSL compiles (Dawn, null backend)`, async () => {
    const gpu = await (dawn ??= dawnNullGpu());
    const before = gpu.pipelineCount;
    run(gpu);
    await gpu.sync();
    expect(gpu.uncapturedErrors.splice(0)).toEqual([]);
    expect(gpu.pipelineCount).toBeGreaterThan(before);
  });
}

describe('every op in every kernel variant', () => {
  each('activations', (gpu) => {
    const x = gpu.tensor([4, 8]);
    swiglu(gpu, x, gpu.tensor([4, 8]));
    swigluBackward(gpu, x, gpu.tensor([4, 8]), gpu.tensor([4, 8]));
    relu(gpu, x);
    reluBackward(gpu, x, gpu.tensor([4, 8]));
    gelu(gpu, x);
    geluBackward(gpu, x, gpu.tensor([4, 8]));
  });
  each('pack bytes', (gpu) => void packBytes(gpu, gpu.tensor([7], 'u32')));
  each('adam', (gpu) =>
    adamStep(gpu, gpu.tensor([8]), gpu.tensor([8]), gpu.tensor([8]), gpu.tensor([8]), {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      step: 1,
    }),
  );
  each('attention: scalar and vec4 forward, backward', (gpu) => {
    for (const headDim of [8, 32]) {
      const o = { batch: 1, seqLen: 4, heads: 2, kvHeads: 1, headDim };
      const q = gpu.tensor([4, 2 * headDim]);
      const kv = () => gpu.tensor([4, headDim]);
      const [k, v] = [kv(), kv()];
      const { out, lse } = causalAttention(gpu, q, k, v, o);
      causalAttentionBackward(gpu, gpu.tensor([4, 2 * headDim]), q, k, v, out, lse, o);
    }
  });
  each('attention, matmul path (f32): layout copies, causal softmax, dS', (gpu) => {
    const o = { batch: 1, seqLen: 4, heads: 2, kvHeads: 1, headDim: 8, path: 'matmul' as const };
    const q = gpu.tensor([4, 16]);
    const [k, v] = [gpu.tensor([4, 8]), gpu.tensor([4, 8])];
    const { out, lse } = causalAttention(gpu, q, k, v, o);
    causalAttentionBackward(gpu, gpu.tensor([4, 16]), q, k, v, out, lse, o);
    causalAttentionBackward(gpu, gpu.tensor([4, 16]), q, k, v, out, lse, o, {}, 'qk');
    causalAttentionBackward(gpu, gpu.tensor([4, 16]), q, k, v, out, lse, o, {}, 'qkv');
  });
  each('awq', (gpu) => {
    const x = gpu.tensor([4, 16]);
    awqScales(gpu, colAbsMean(gpu, x), 0.5);
    clipSearch(gpu, gpu.tensor([2, 16]), x, spec);
  });
  each('broadcast, separate and in place', (gpu) => {
    const x = gpu.tensor([4, 8]);
    mulRowVector(gpu, x, gpu.tensor([8]));
    addRowVector(gpu, x, gpu.tensor([8]), x);
    mulColVector(gpu, x, gpu.tensor([4]));
  });
  each('cross-entropy, separate and in place', (gpu) => {
    const logits = gpu.tensor([4, 16]);
    const targets = gpu.tensor([4], 'u32');
    const { lse } = crossEntropy(gpu, logits, targets);
    crossEntropyBackward(gpu, logits, targets, lse, 0.25);
    crossEntropyBackward(gpu, logits, targets, lse, 0.25, logits);
  });
  each('element-wise, every aliasing', (gpu) => {
    const a = gpu.tensor([8]);
    const b = gpu.tensor([8]);
    add(gpu, a, b);
    add(gpu, a, b, a);
    add(gpu, a, b, b);
    add(gpu, a, a, a);
    axpy(gpu, a, b, 2);
    scale(gpu, a, 3);
    square(gpu, a, a);
  });
  each('embedding', (gpu) => {
    const ids = gpu.tensor([4], 'u32');
    embeddingGather(gpu, gpu.tensor([10, 8]), ids);
    embeddingBackward(gpu, gpu.tensor([4, 8]), ids, 10);
  });
  each('matmul with and without bias, split K with and without bias', (gpu) => {
    const bias = gpu.tensor([8]);
    for (const splitK of [1, 4]) {
      matmul(gpu, gpu.tensor([4, 1024]), gpu.tensor([1024, 8]), { splitK });
      matmul(gpu, gpu.tensor([4, 1024]), gpu.tensor([8, 1024]), { transB: true, bias, splitK });
    }
  });
  each('mse-grad and sumInto', (gpu) => {
    const loss = gpu.tensor([2]);
    mseWithGrad(gpu, gpu.tensor([8]), gpu.tensor([8]), { gradScale: 1, lossScale: 1, loss, slot: 1 });
    sumInto(gpu, gpu.tensor([8]), { scale: 2, into: loss, slot: 0 });
  });
  each('norms: RMS and Layer, forward, backward, dx with and without residual', (gpu) => {
    const x = gpu.tensor([4, 8]);
    const w = gpu.tensor([8]);
    const { rstd } = rmsNorm(gpu, x, w, 1e-5);
    rmsNormBackward(gpu, x, x, w, rstd);
    rmsNorm(gpu, x, w, 1e-5, { addend: gpu.tensor([4, 8]) });
    layerNorm(gpu, x, w, gpu.tensor([8]), 1e-5, { addend: gpu.tensor([4, 8]) });
    const ln = layerNorm(gpu, x, w, gpu.tensor([8]), 1e-5);
    layerNormBackward(gpu, x, x, w, ln.mean, ln.rstd);
    normBackwardDx(gpu, x, x, w, rstd, { residual: gpu.tensor([4, 8]) });
    normBackwardDx(gpu, x, x, w, ln.rstd, { mean: ln.mean, residual: gpu.tensor([4, 8]) });
  });
  each('quantize: codes, dequant, both, with a column scale', (gpu) => {
    const w = gpu.tensor([2, 16]);
    const colScale = gpu.tensor([16]);
    const q = quantizeWeight(gpu, w, spec);
    quantizeWeight(gpu, w, spec, { codes: false, dequant: true });
    quantizeWeight(gpu, w, spec, { colScale, dequant: true, unscale: true });
    quantizeWeight(gpu, w, spec, { colScale, codes: false, dequant: true });
    dequantizeWeight(gpu, { codes: q.codes!, scales: q.scales!, zeros: q.zeros! }, spec, 16);
    dequantizeWeight(gpu, { codes: q.codes!, scales: q.scales!, zeros: q.zeros!, gIdx: gpu.tensor([16], 'u32') }, spec, 16);
  });
  each('gptq: Hessian, diagonal, factor (two 32-blocks), weights, column loop grouped and per-channel', (gpu) => {
    const x = gpu.tensor([8, 40]);
    const h = hessian(gpu, x);
    diagonal(gpu, h);
    const perm = gpu.tensor([40], 'u32');
    const { u } = upperCholeskyOfInverse(gpu, h, perm, 0.01);
    const w = prepareWeights(gpu, gpu.tensor([4, 40]), perm, gpu.tensor([40], 'u32'));
    for (const groupSize of [8, 0]) {
      const nG = groupSize ? 5 : 1;
      const out = { codes: gpu.tensor([4, 40], 'u32'), scales: gpu.tensor([4, nG]), zeros: gpu.tensor([4, nG]), losses: gpu.tensor([4]) };
      gptqColumns(gpu, w, u, perm, { ...spec, groupSize }, out, 16);
    }
  });
  each('reductions', (gpu) => {
    const x = gpu.tensor([300, 8]);
    sumRows(gpu, x);
    sumCols(gpu, x);
    sumCols(gpu, x, gpu.tensor([8]), { accumulate: true });
    sumAll(gpu, x);
    sumSquares(gpu, x);
    meanSquaredError(gpu, x, gpu.tensor([300, 8]));
  });
  each('rope: one tensor, two in one dispatch, from the head split', (gpu) => {
    const o = { headDim: 8, seqLen: 4, theta: 10000, style: 'half' as const, inverse: true };
    rope(gpu, gpu.tensor([4, 16]), { ...o, heads: 2 });
    ropeInputs(
      gpu,
      [
        { x: gpu.tensor([4, 16]), heads: 2 },
        { x: gpu.tensor([4, 8]), heads: 1 },
      ],
      o,
    );
    ropeInputs(
      gpu,
      [
        { x: gpu.tensor([1, 8, 8]), heads: 2, splitIn: 2 },
        { x: gpu.tensor([1, 4, 8]), heads: 1, splitIn: 1 },
      ],
      o,
    );
    // q, k and v side by side: forward, inverse from token-major and from head-split gradients
    const s = { headDim: 8, seqLen: 4, theta: 10000, style: 'half' as const, heads: 2, kvHeads: 1 };
    const g = ropeSideBySide(gpu, gpu.tensor([4, 32]), s);
    ropeSideBySideInverse(gpu, { dq: g.q, dk: g.k, dv: g.v }, s, false);
    ropeSideBySideInverse(gpu, { dq: gpu.tensor([1, 8, 8]), dk: gpu.tensor([1, 4, 8]), dv: gpu.tensor([1, 4, 8]) }, s, true);
  });
  each('softmax and log-sum-exp', (gpu) => {
    const x = gpu.tensor([4, 8]);
    softmaxRows(gpu, x);
    logsumexpRows(gpu, x);
  });
  each('teq with 1, 2 and 3 members, four columns a load and one', (gpu) => {
    const alpha = gpu.tensor([17]);
    clampMin(gpu, alpha, 0.1);
    // offset 0: VEC4; offset 1: one column a load
    for (const offset of [0, 1]) {
      for (const m of [1, 2, 3]) {
        const ws = Array.from({ length: m }, () => gpu.tensor([2, 16]));
        const outs = ws.map(() => gpu.tensor([2, 16]));
        teqEffectiveGroup(gpu, ws, alpha, offset, outs, spec);
        const dWs = ws.map(() => gpu.tensor([2, 16]));
        teqGradGroup(gpu, ws, dWs, alpha, offset, gpu.tensor([6 * 16 + 1]), offset, spec, m === 2 ? 'ste-full' : 'ste-round');
      }
    }
    const table = teqColSumTable([{ offset: 0, rows: 2, cols: 16, outOffset: 0 }]);
    teqColSum(gpu, gpu.upload(table, [table.length]), gpu.tensor([32]), gpu.tensor([16]));
  });
  each('tesseraq', (gpu) => {
    const L = tqInit(gpu, gpu.tensor([2, 16]), spec);
    const dW = gpu.tensor([2, 16]);
    tqSoftWeight(gpu, L);
    tqGrad(gpu, L, dW);
    tqStep(gpu, L, dW, tqAdamState(gpu, L), gpu.tensor([2, 16]), {
      step: 1,
      lr: 1e-3,
      scaleLr: 1e-3,
      scaleWeightDecay: 0,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
    });
    tqHardenQuantile(gpu, L, 0.5);
    tqHarden(gpu, L, null);
    tqStats(gpu, L, gpu.tensor([2], 'u32'), 0);
    tqExport(gpu, L);
  });
});

// The half-precision instantiations. Dawn's null backend offers shader-f16, and with
// allow_unsafe_apis the subgroup-matrix feature, but lists no subgroup-matrix configurations and
// caps workgroup memory at 16 KiB: the device is asked for the features directly, given the
// 16x16x16 f16 -> f32 configuration the NVIDIA H200 lists, and the tensor-core kernel is compiled
// with a tile that fits 16 KiB (the tile only sets constants; the code paths are the same).
let dawnHalf: Promise<Gpu> | null = null;
let dawnHalfGpu: GPU | null = null;
async function dawnNullHalfGpu(): Promise<Gpu> {
  Object.assign(globalThis, globals);
  dawnHalfGpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
  const adapter = await dawnHalfGpu.requestAdapter();
  if (!adapter) throw new Error('Dawn null backend: no adapter');
  const device = await adapter.requestDevice({
    requiredFeatures: ['shader-f16', 'subgroups', SUBGROUP_MATRIX_FEATURE],
    // as src/gpu/device.ts asks (TEQ's three-member effective weights with f16 copies bind 11)
    requiredLimits: { maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage },
  });
  const acq: AcquiredDevice = {
    adapter,
    device,
    report: {
      vendor: 'null',
      architecture: '',
      device: '',
      description: 'Dawn null backend',
      features: [...device.features],
      limits: {},
      isFallbackAdapter: false,
    },
    hasF16: true,
    hasSubgroups: true,
    hasTimestamps: false,
    subgroupMatrix: { M: 16, N: 16, K: 16, subgroupSize: 32 },
  };
  return new Gpu(acq);
}
afterAll(async () => {
  if (dawnHalf) (await dawnHalf).destroy();
  dawnHalfGpu = null;
});

const SMALL_SUBGROUP_TILE: SubgroupTile = { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 16, GROUP_M: 8 };

function eachHalf(name: string, run: (gpu: Gpu, tile: SubgroupTile | undefined) => void) {
  it(`${name}: declarations match the WGSL`, () => {
    const { gpu, calls } = fakeGpu({ maxComputeWorkgroupStorageSize: 48 * 1024, maxStorageBuffersPerShaderStage: 16 }, true);
    run(gpu, undefined);
    gpu.flush();
    expect(calls.dispatches.length).toBeGreaterThan(0);
  });
  it(`${name}: the WGSL compiles (Dawn, null backend, f16 and subgroup matrices)`, async () => {
    const gpu = await (dawnHalf ??= dawnNullHalfGpu());
    const before = gpu.pipelineCount;
    run(gpu, SMALL_SUBGROUP_TILE);
    await gpu.sync();
    expect(gpu.uncapturedErrors.splice(0)).toEqual([]);
    expect(gpu.pipelineCount).toBeGreaterThan(before);
  });
}

describe('half-precision kernel variants', () => {
  // bench:tensor-probe's kernel (bench only): every mode of the cut-down inner loop
  eachHalf('tensor-core probe, every mode', (gpu) => {
    for (const m of PROBE_MODES) dispatchProbe(gpu, SMALL_SUBGROUP_TILE, m, gpu.tensor([probeOutFloats(SMALL_SUBGROUP_TILE, 2)]), 3, 2);
  });
  eachHalf('cast to f16', (gpu) => {
    castToF16(gpu, gpu.tensor([5, 7]), gpu.tensor([1], 'u32'));
  });
  eachHalf('producers writing the f16 copies of their outputs (HALF_OUT)', (gpu) => {
    const counts = gpu.tensor([4], 'u32');
    const half = (shape: number[], slot = 1): HalfOut => ({ copy: gpu.tensor(shape, 'f16'), counts, slot });
    const x = gpu.tensor([4, 8]);
    const w = gpu.tensor([8]);
    const { rstd } = rmsNorm(gpu, x, w, 1e-5, { half: half([4, 8]) });
    const ln = layerNorm(gpu, x, w, gpu.tensor([8]), 1e-5, { half: half([4, 8]) });
    rmsNorm(gpu, x, w, 1e-5, { half: half([4, 8]), addend: gpu.tensor([4, 8]) });
    if (normForwardFits(gpu, true, { half: half([4, 8]), addend: x })) layerNorm(gpu, x, w, gpu.tensor([8]), 1e-5, { half: half([4, 8]), addend: x });
    normBackwardDx(gpu, x, x, w, rstd, { residual: gpu.tensor([4, 8]), half: half([4, 8]) });
    const lnResidual = { mean: ln.mean, residual: gpu.tensor([4, 8]) };
    if (normDxHalfFits(gpu, lnResidual)) normBackwardDx(gpu, x, x, w, ln.rstd, { ...lnResidual, half: half([4, 8]) });
    normBackwardDx(gpu, x, x, w, ln.rstd, { mean: ln.mean, half: half([4, 8]) });
    normBackwardDx(gpu, x, x, w, rstd, { half: half([4, 8]) });
    swiglu(gpu, x, gpu.tensor([4, 8]), undefined, half([4, 8]));
    rope(gpu, gpu.tensor([4, 16]), { heads: 2, headDim: 8, seqLen: 4, theta: 10000, style: 'half', inverse: true }, undefined, half([4, 16]));
    rope(gpu, gpu.tensor([4, 16]), { heads: 2, headDim: 8, seqLen: 4, theta: 10000, style: 'half' }, undefined, half([1, 8, 8]), 2);
    const r = { headDim: 8, seqLen: 4, theta: 10000, style: 'half' as const };
    ropeInputs(
      gpu,
      [
        { x: gpu.tensor([4, 16]), heads: 2, half: half([1, 8, 8]), splitOut: 2 },
        { x: gpu.tensor([4, 8]), heads: 1, half: half([1, 4, 8], 2), splitOut: 1 },
      ],
      r,
    );
    const s = { headDim: 8, seqLen: 4, theta: 10000, style: 'half' as const, heads: 2, kvHeads: 1 };
    const qkv = ropeSideBySide(gpu, gpu.tensor([4, 32]), s, { q: half([1, 8, 8]), k: half([1, 4, 8], 2) });
    ropeSideBySideInverse(gpu, { dq: qkv.q, dk: qkv.k, dv: qkv.v }, s, false, half([4, 32]));
    if (ropeSplitsV(gpu)) ropeSideBySide(gpu, gpu.tensor([4, 32]), s, { q: half([1, 8, 8]), k: half([1, 4, 8], 2), v: half([1, 4, 8], 3) });
    ropeInputs(
      gpu,
      [
        { x: gpu.tensor([1, 8, 8]), heads: 2, half: half([4, 16]), splitIn: 2 },
        { x: gpu.tensor([1, 4, 8]), heads: 1, half: half([4, 8], 2), splitIn: 1 },
      ],
      { ...r, inverse: true },
    );
    swigluBackward(gpu, x, gpu.tensor([4, 8]), gpu.tensor([4, 8]), { dgate: half([4, 8], 2), dup: half([4, 8], 3) });
    if (tqHalfFits(gpu)) {
      const L = tqInit(gpu, gpu.tensor([2, 16]), spec);
      tqSoftWeight(gpu, L, undefined, half([2, 16]));
      const o = { step: 1, lr: 1e-3, scaleLr: 1e-3, scaleWeightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
      tqStep(gpu, L, gpu.tensor([2, 16]), tqAdamState(gpu, L), gpu.tensor([2, 16]), o, half([2, 16]));
    }
    const alpha = gpu.tensor([17]);
    // offset 0: four columns a load; 1: one
    for (const offset of [0, 1]) {
      for (const m of [1, 2, 3]) {
        if (!teqEffectiveHalfFits(gpu, m)) continue;
        const ws = Array.from({ length: m }, () => gpu.tensor([2, 16]));
        teqEffectiveGroup(
          gpu,
          ws,
          alpha,
          offset,
          ws.map(() => gpu.tensor([2, 16])),
          spec,
          ws.map((_, i) => half([2, 16], i)),
        );
      }
    }
  });
  const forms = (gpu: Gpu, path: 'f16' | 'subgroup-matrix', subgroupTile: SubgroupTile | undefined) => {
    const h = (shape: number[]) => gpu.tensor(shape, 'f16');
    for (const splitK of [1, 4]) {
      // x·W, x·Wᵀ with bias, dyᵀ·x accumulating; contiguous sizes multiples of 4 (vector loads) and
      // not; at least 256 outputs (a tensor-core store writes whole 16x16 fragments)
      matmul(gpu, h([16, 1024]), h([1024, 24]), { splitK, path, subgroupTile });
      matmul(gpu, h([16, 1024]), h([24, 1024]), { transB: true, bias: gpu.tensor([24]), splitK, path, subgroupTile });
      matmul(gpu, h([1024, 16]), h([1024, 24]), { transA: true, accumulate: true, out: gpu.tensor([16, 24]), splitK, path, subgroupTile });
      matmul(gpu, h([17, 1023]), h([19, 1023]), { transB: true, splitK, path, subgroupTile });
      matmul(gpu, h([1023, 17]), h([1023, 19]), { transA: true, alpha: 0.5, splitK, path, subgroupTile });
    }
    // the tensor-core kernel's direct variant (whole tiles only), in the three forms
    if (path === 'subgroup-matrix') {
      const direct = { ...(subgroupTile ?? SUBGROUP_TILES.largeDirect), DIRECT: true };
      matmul(gpu, h([128, 256]), h([128, 256]), { transB: true, path, subgroupTile: direct });
      matmul(gpu, h([128, 256]), h([256, 128]), { path, subgroupTile: direct });
      matmul(gpu, h([256, 128]), h([256, 128]), { transA: true, accumulate: true, out: gpu.tensor([128, 128]), path, subgroupTile: direct });
      // whole tiles (no bounds checks): each copy into workgroup memory, single and double buffers,
      // and the epilogues (straight stores, accumulators from out, staged bias and alpha)
      for (const whole of [
        { SG_M: 2, SG_N: 2, FM: 2, FN: 1, BK: 32, GROUP_M: 8 },
        { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
        { SG_M: 2, SG_N: 2, FM: 2, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8' },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 64, GROUP_M: 8, LOAD: 'vec8', BUFFERS: 1 },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 16, GROUP_M: 8 },
        // 4-byte loads: rows of 16 words paired (BK 32), plain rows (BK 64)
        { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1 },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 64, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1 },
        // producer subgroups (the staged bias epilogue runs the tile without them; the null device
        // wants workgroups of a multiple of 128 invocations)
        { SG_M: 2, SG_N: 2, FM: 2, FN: 1, BK: 16, GROUP_M: 8, LOAD: 'u32', PRODUCERS: 4 },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8', PRODUCERS: 4 },
        // 16-byte loads stored in rotated order
        { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1 },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4 },
        // loads issued two or three steps ahead, with and without producers
        { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, PREFETCH: 2 },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4, PREFETCH: 3 },
        // each subgroup's strips in arrays of their own (rows or columns by form), every copy
        { SG_M: 2, SG_N: 2, FM: 2, FN: 2, BK: 32, GROUP_M: 8, LOAD: 'vec8r', BUFFERS: 1, STRIPS: true },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8r', PRODUCERS: 4, PREFETCH: 2, STRIPS: true },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 32, GROUP_M: 8, LOAD: 'vec8', STRIPS: true },
        { SG_M: 2, SG_N: 2, FM: 1, FN: 1, BK: 64, GROUP_M: 8, LOAD: 'u32', BUFFERS: 1, STRIPS: true },
      ] satisfies SubgroupTile[]) {
        matmul(gpu, h([128, 256]), h([64, 256]), { transB: true, path, subgroupTile: whole });
        matmul(gpu, h([128, 256]), h([256, 64]), { alpha: 0.5, path, subgroupTile: whole });
        matmul(gpu, h([256, 128]), h([256, 64]), { transA: true, accumulate: true, out: gpu.tensor([128, 64]), path, subgroupTile: whole });
        // (a staged epilogue needs one more f32 fragment per subgroup: not every tile has room on the null device's 16 KiB)
        if (subgroupTileFits(gpu, whole, false, true, true))
          matmul(gpu, h([128, 256]), h([64, 256]), { transB: true, bias: gpu.tensor([64]), path, subgroupTile: whole });
        matmul(gpu, h([2, 64, 512]), h([2, 512, 64]), { splitK: 2, path, subgroupTile: whole });
      }
    }
  };
  eachHalf('attention, matmul path with the policy on (f16 copies, P and dS)', (gpu, subgroupTile) => {
    setHalfLinears(gpu, true, 0);
    // 2 x 16 x 16 scores: every product has the 256 outputs a tensor-core store needs
    const o = { batch: 1, seqLen: 16, heads: 2, kvHeads: 1, headDim: 16, path: 'matmul' as const, subgroupTile };
    const q = gpu.tensor([16, 32]);
    const [k, v] = [gpu.tensor([16, 16]), gpu.tensor([16, 16])];
    const { out, lse } = causalAttention(gpu, q, k, v, o);
    causalAttentionBackward(gpu, gpu.tensor([16, 32]), q, k, v, out, lse, o);
    // with the f16 copies of the output and the input gradients (the layout merges' HALF_OUT)
    const counts = gpu.tensor([2], 'u32');
    const half = (shape: number[]): HalfOut => ({ copy: gpu.tensor(shape, 'f16'), counts, slot: 1 });
    causalAttention(gpu, q, k, v, o, half([16, 32]));
    causalAttentionBackward(gpu, gpu.tensor([16, 32]), q, k, v, out, lse, o, { dq: half([16, 32]), dk: half([16, 16]), dv: half([16, 16]) });
    causalAttentionBackward(gpu, gpu.tensor([16, 32]), q, k, v, out, lse, o, { dv: half([16, 16]) }, 'qk');
    setHalfLinears(gpu, false);
  });
  eachHalf('matmul, f16 storage', (gpu) => forms(gpu, 'f16', undefined));
  eachHalf('matmul, tensor cores', (gpu, tile) => forms(gpu, 'subgroup-matrix', tile));
});
