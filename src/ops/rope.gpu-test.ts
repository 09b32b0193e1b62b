// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { rope } from './rope';
import { ropeRef, type RopeOptions } from '../reference/rope';
import { randn } from '../reference/rng';
import { assertClose } from '../reference/compare';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'rope forward and inverse vs float64 twin, both styles, large positions'(gpu) {
    const configs: (RopeOptions & { T: number })[] = [
      { T: 37, heads: 3, headDim: 16, seqLen: 13, theta: 10000, style: 'interleaved' },
      { T: 37, heads: 3, headDim: 16, seqLen: 13, theta: 10000, style: 'half' },
      { T: 26, heads: 2, headDim: 64, seqLen: 13, theta: 500000, style: 'half', positionOffset: 2035 },
      { T: 20, heads: 5, headDim: 8, seqLen: 20, theta: 10000, style: 'interleaved', positionOffset: 3 },
      {
        T: 26,
        heads: 2,
        headDim: 64,
        seqLen: 13,
        theta: 500000,
        style: 'half',
        positionOffset: 9000,
        scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
      },
      { T: 20, heads: 2, headDim: 8, seqLen: 20, theta: 10000, style: 'half', scaling: { type: 'linear', factor: 4 } },
    ];
    for (const { T, ...o } of configs) {
      const W = o.heads * o.headDim;
      const x = randn(T * W, T + W);
      const xg = gpu.upload(x, [T, W]);
      const tag = `${o.style} T=${T} H=${o.heads} D=${o.headDim} offset=${o.positionOffset ?? 0}${o.scaling ? ` ${o.scaling.type}` : ''}`;
      assertClose(`rope ${tag}`, await rope(gpu, xg, o).readF32(), ropeRef(x, o));
      const inv = { ...o, inverse: true };
      assertClose(`rope inverse ${tag}`, await rope(gpu, xg, inv).readF32(), ropeRef(x, inv));
    }
  },
};
