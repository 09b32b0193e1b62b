// GPU test module: runs in headless Chromium through e2e/gpu-kernels.spec.ts.
import type { Gpu } from '../gpu/gpu';
import { readBytes } from './pack-bytes';

export const cases: Record<string, (gpu: Gpu) => Promise<void>> = {
  async 'codes read back as bytes equal the CPU conversion, on ragged lengths'(gpu) {
    for (const n of [1, 3, 4, 5, 1023, 70001]) {
      // every byte value, and values over a byte (their low byte is kept, as Uint8Array.from does)
      const codes = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> (i % 3 === 0 ? 0 : 24));
      const t = gpu.upload(codes, [n]);
      const got = await readBytes(gpu, t);
      const want = Uint8Array.from(codes);
      if (got.length !== n) throw new Error(`n=${n}: ${got.length} bytes`);
      const bad = want.findIndex((v, i) => got[i] !== v);
      if (bad >= 0) throw new Error(`n=${n}: byte ${bad} is ${got[bad]}, expected ${want[bad]} (code ${codes[bad]})`);
      t.release();
    }
  },
};
