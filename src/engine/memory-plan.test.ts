// The memory plan's part for attention's matmul path: its scratch is planned only where the device
// can take that path, and never more than three score tensors at the cap.
import { describe, expect, it } from 'vitest';
import { planMemory } from './memory-plan';
import { randomModel } from '../formats/random-model';
import { DEFAULT_CONFIG } from '../methods/registry';
import type { RunConfig } from '../core/run-types';
import { ATTENTION_MATMUL_MAX_SCORES_BYTES, HALF_COPIES_MAX_BYTES } from '../ops/precision';

const cfg = randomModel('llama3.2-1b').weights.config; // 32 heads over 8 kv heads
const config = (patch: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, method: 'tesseraq', seqLen: 512, evalWindows: 1, ...patch });

describe('memory plan: attention scratch', () => {
  it('adds three score tensors of the largest call to every phase where the matmul path is possible', () => {
    const c = config({ calibSamples: 2 });
    const f32 = planMemory(cfg, c);
    const mm = planMemory(cfg, c, undefined, { matmulAttention: true });
    // two windows: 3 x (2 x 32 x 512² x 4 bytes) = 192 MiB, times the pool's slack
    const scratch = 3 * 2 * cfg.heads * 512 * 512 * 4;
    expect(cfg.heads).toBe(32);
    for (const phase of Object.keys(f32.phases)) {
      const added = mm.phases[phase] - f32.phases[phase];
      expect(added).toBeGreaterThanOrEqual(scratch);
      expect(added).toBeLessThanOrEqual(Math.ceil(scratch * 1.15) + 1);
    }
  });

  it('never plans more than three tensors at the cap (larger calls take the flash path)', () => {
    const c = config({ calibSamples: 128 });
    const f32 = planMemory(cfg, c);
    const mm = planMemory(cfg, c, undefined, { matmulAttention: true });
    for (const phase of Object.keys(f32.phases))
      expect(mm.phases[phase] - f32.phases[phase]).toBeLessThanOrEqual(Math.ceil(3 * ATTENTION_MATMUL_MAX_SCORES_BYTES * 1.15) + 1);
    expect(mm.peak - f32.peak).toBeGreaterThanOrEqual(3 * ATTENTION_MATMUL_MAX_SCORES_BYTES);
  });

  it('plans none for head dims that always take the flash path', () => {
    const tiny = randomModel('tiny-llama').weights.config;
    expect(tiny.headDim).toBeLessThan(32);
    const c = config({ calibSamples: 4 });
    expect(planMemory(tiny, c, undefined, { matmulAttention: true }).phases).toEqual(planMemory(tiny, c).phases);
  });
});

describe('memory plan: kept f16 copies', () => {
  it('adds half of each phase, at most the bound of the copies', () => {
    const branches = new Set<string>();
    for (const c of [randomModel('tiny-llama').weights.config, cfg]) {
      const conf = config({ calibSamples: 128 });
      const f32 = planMemory(c, conf);
      const half = planMemory(c, conf, undefined, { halfCopies: HALF_COPIES_MAX_BYTES });
      for (const phase of Object.keys(f32.phases)) {
        const tensors = f32.phases[phase];
        const bounded = tensors / 2 > HALF_COPIES_MAX_BYTES * 1.15;
        branches.add(bounded ? 'bound' : 'half');
        const expected = bounded ? HALF_COPIES_MAX_BYTES * 1.15 : tensors / 2;
        expect(Math.abs(half.phases[phase] - f32.phases[phase] - expected)).toBeLessThanOrEqual(2);
      }
    }
    expect([...branches].sort()).toEqual(['bound', 'half']); // the 1B shape's TesseraQ phase is over 2 GiB, tiny-llama's are not
  });
});

describe('memory plan: a tensor over the largest binding says what would make it fit', () => {
  const limits = (binding: number) => ({ maxStorageBufferBindingSize: binding, maxBufferSize: 4 * binding });
  it("the embedding table: the model's own size, so a bigger device, not other settings", () => {
    const qwen3 = randomModel('qwen3-0.6b').weights.config; // 151,936 x 1024 floats: 593.5 MiB
    // bound in ranges of rows, it has to fit one buffer (512 MiB here), not one binding (128 MiB)
    const plan = planMemory(qwen3, config({ method: 'rtn', calibSamples: 2, seqLen: 64 }), limits(128 * 2 ** 20));
    expect(plan.problems).toEqual([
      expect.stringMatching(
        /embedding table needs 593\.5 MiB, over this device's largest buffer of 512\.0 MiB.*vocabulary \(151936\) times its embedding width \(1024\).*no run setting changes/,
      ),
    ]);
    expect(planMemory(qwen3, config({ method: 'rtn', calibSamples: 2, seqLen: 64 }), { ...limits(128 * 2 ** 20), maxBufferSize: 2 ** 30 }).problems).toEqual(
      [],
    );
    expect(plan.problems[0]).not.toMatch(/calibration samples/);
  });
  it('calibration activations: fewer samples or a shorter sequence', () => {
    const plan = planMemory(cfg, config({ method: 'rtn', calibSamples: 512, seqLen: 2048 }), limits(2 ** 30));
    expect(plan.largestTensor.name).toBe('calibration activations (MLP width)');
    expect(plan.problems).toEqual([expect.stringMatching(/use fewer calibration samples or a shorter sequence length/)]);
  });
});

describe('memory plan: matmul workspaces', () => {
  it('adds, on the tensor cores, one output of the widest product with a bias or accumulated', () => {
    const opt = randomModel('tiny-opt').weights.config;
    const c = config({ method: 'teq', calibSamples: 8, seqLen: 256 });
    for (const [model, widest] of [
      [cfg, cfg.hidden], // LLaMA: the input gradients summed into q's and gate's
      [opt, opt.intermediate], // OPT: fc1's bias
    ] as const) {
      const f32 = planMemory(model, c);
      const tc = planMemory(model, c, undefined, { tensorCores: true });
      const tokens = Math.max(8 * 256, c.evalWindows * 256);
      const added = tokens * widest * 4;
      for (const phase of Object.keys(f32.phases)) expect(Math.abs(tc.phases[phase] - f32.phases[phase] - added * 1.15)).toBeLessThanOrEqual(2);
    }
  });
});

describe('memory plan: the embedding over the storage binding', () => {
  it("plans Phi-4-mini's f32 embedding (2.29 GiB) on a device that binds 2 GiB (Dawn on an H100): it is bound in ranges; a smaller largest buffer refuses it, named", () => {
    const phi4 = randomModel('phi4-mini').weights.config;
    const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 40 };
    expect(planMemory(phi4, config({ method: 'rtn' }), limits).problems).toEqual([]);
    expect(planMemory(phi4, config({ method: 'rtn' }), { ...limits, maxBufferSize: 2 ** 31 }).problems).toEqual([
      "The embedding table needs 2.29 GiB, over this device's largest buffer of 2.00 GiB: it is the model's vocabulary (200064) times its embedding width (3072), which no run setting changes; this model needs a device with larger buffers (the studio asks for the adapter's largest).",
    ]);
  });

  it("counts one range's logits beside the whole where the head is bound in ranges: 174,762 rows of 3,072 floats fill a 2 GiB binding", () => {
    const phi4 = randomModel('phi4-mini').weights.config;
    const c = config({ method: 'teq', teqLoss: 'lm', teqInit: 'ones', evalWindows: 1 });
    const ranges = planMemory(phi4, c, { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 40 });
    const whole = planMemory(phi4, c, { maxStorageBufferBindingSize: 2 ** 32, maxBufferSize: 2 ** 40 }); // one range
    // one 512-token window evaluated, one 512-token TEQ step: 512 x 174,762 f32 logits, times the pool's slack
    const part = 512 * Math.floor(2 ** 31 / (3072 * 4)) * 4 * 1.15;
    for (const phase of ['eval-fp', 'teq', 'eval-quant']) expect(Math.abs(ranges.phases[phase] - whole.phases[phase] - part)).toBeLessThanOrEqual(1);
    expect(ranges.phases.measure).toBe(whole.phases.measure);
  });
});
