// The CPU cost of encoding a training step, on any machine: one forward and backward through every
// block of a real model shape, on a fake device that offers tensor cores but runs nothing
// (src/gpu/testing/fake-device.ts), under the precision policy as `studio` sets it. It times what
// the engine does in JavaScript per dispatch (choosing variants, pipelines, bind groups, uniforms,
// f16 copies), not Dawn's native encoding, which comes on top on a real device. A step of TEQ at
// the SmolLM2-135M shape was bound by this on the H200 (docs/half-precision.md).
//   npm run bench:encode -- [--shape smollm2-135m] [--batch 4] [--seqLen 512] [--steps 40] [--f32 | --f16-all]
//     [--dawn [--f16-storage]] [--no-producers] [--separate | --teq] [--misses] [--warmup 5]
// --f16-storage: with --dawn on a device with shader-f16 but no tensor cores (e.g. Mesa's lavapipe),
// the policy on the f16-storage kernel, so that Dawn's share is measured with the policy's dispatches.
// --no-producers: a conversion dispatch per f16 copy instead of the producers' own (ops/precision.ts).
// --separate: q's, k's, v's and gate's, up's weights in buffers of their own (a product each).
// --teq: a TEQ step through the blocks (its trainer's effective weights, dα and Adam; no LM head).
// --misses: the bind groups created during the timed steps, by dispatch label (cache misses).
import { fakeGpu } from '../gpu/testing/fake-device';
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import { flag } from './argv-flag';
import type { Gpu } from '../gpu/gpu';
import { setHalfCopyProducers, setHalfLinears } from '../ops/precision';
import { parseHfConfig } from '../formats/hf-config';
import { RANDOM_SHAPES } from '../formats/random-model';
import { placeholderBlock, placeholderStep } from '../model/testing/placeholder-block';
import type { BatchShape } from '../model/block';
import { TeqTrainer } from '../quant/teq-trainer';
import { teqBlocksStep } from '../quant/testing/teq-blocks-step';

async function main(): Promise<void> {
  const shapeName = flag('shape', 'smollm2-135m');
  if (!RANDOM_SHAPES[shapeName]) throw new Error(`unknown shape ${shapeName}; have ${Object.keys(RANDOM_SHAPES).join(', ')}`);
  const cfg = parseHfConfig(RANDOM_SHAPES[shapeName], 'config.json', `random:${shapeName}`);
  const shape: BatchShape = { batch: Number(flag('batch', '4')), seqLen: Number(flag('seqLen', '512')) };
  const steps = Number(flag('steps', '40'));
  const half = !process.argv.includes('--f32');
  const dawn = process.argv.includes('--dawn');
  let gpu: Gpu;
  let calls: ReturnType<typeof fakeGpu>['calls'] | null = null;
  if (dawn) gpu = await createNodeGpu({ half });
  // the H200's limits that choose the tiles and the producers' variants (it binds at least 11 storage
  // buffers: TEQ's q/k/v group writes its copies in one pass there)
  else
    ({ gpu, calls } = fakeGpu(
      { maxComputeWorkgroupStorageSize: 48 * 1024, maxComputeInvocationsPerWorkgroup: 1024, maxStorageBuffersPerShaderStage: 11 },
      half,
    ));
  const all = process.argv.includes('--f16-all'); // every Linear product f16, as `studio --f16 all`
  setHalfLinears(gpu, half, all ? 0 : undefined, process.argv.includes('--f16-storage'));
  if (process.argv.includes('--no-producers')) setHalfCopyProducers(gpu, false);
  // q, k, v and gate, up side by side, as TEQ's trainer keeps its effective weights (--separate: apart)
  const blocks = Array.from({ length: cfg.layers }, (_, i) => placeholderBlock(gpu, cfg, i, !process.argv.includes('--separate')));
  // --teq: TEQ's LM step as quant/teq.ts runs it through the blocks (its trainer's effective
  // weights side by side, their f16 copies written by teq-effective, dα and Adam), without the
  // embedding, LM head and loss (about 10 dispatches a step)
  const teq = process.argv.includes('--teq') ? new TeqTrainer(gpu, cfg, blocks, { bits: 4, groupSize: 32, symmetric: false }) : null;
  let teqStep = 0;
  const step = () => {
    if (teq) teqBlocksStep(gpu, cfg, teq, blocks.length, shape, ++teqStep);
    else
      for (const w of blocks) {
        placeholderStep(gpu, cfg, w, shape);
        // as TEQ's and TesseraQ's steps do: new weights every step (their f16 copies are dropped)
        for (const l of Object.values(w.linears)) gpu.clear(l!.weight);
      }
    gpu.flush();
    // the fake device's records of what was asked of it: not part of the cost
    if (calls) {
      calls.dispatches.length = 0;
      calls.writes.length = 0;
      calls.bindGroups.length = 0;
    }
  };
  const warmup = Number(flag('warmup', '5'));
  for (let i = 0; i < warmup; i++) step(); // pipelines, bind groups and decisions made once
  if (dawn) await gpu.sync();
  const before = gpu.dispatchCount;
  const bgBefore = gpu.bindGroupCount;
  const passBefore = gpu.passCount;
  const misses = new Map<string, number>();
  if (process.argv.includes('--misses')) gpu.onBindGroupMiss = (label) => misses.set(label, (misses.get(label) ?? 0) + 1);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const ms = performance.now() - t0;
  let wall = '';
  if (dawn) {
    await gpu.sync();
    wall = `; ${((performance.now() - t0) / steps).toFixed(2)} ms per step until the GPU finished them (Dawn)`;
  }
  const dispatches = (gpu.dispatchCount - before) / steps;
  process.stdout.write(
    `${dawn ? 'Dawn: ' : ''}${teq ? "TEQ's step, " : ''}${shapeName}, ${cfg.layers} blocks, ${shape.batch}x${shape.seqLen} tokens, ${half ? (all ? 'tensor cores, every product' : 'tensor-core policy') : 'f32'}: ` +
      `${(ms / steps).toFixed(2)} ms of ${dawn ? 'encoding (JavaScript and Dawn)' : 'JavaScript'} per training step (forward and backward), ${dispatches} dispatches, ` +
      `${((ms * 1000) / (dispatches * steps)).toFixed(2)} µs per dispatch (${steps} steps); per step ${(gpu.passCount - passBefore) / steps} compute passes, ` +
      `${(gpu.bindGroupCount - bgBefore) / steps} bind groups created${wall}\n`,
  );
  for (const [label, n] of [...misses].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${(n / steps).toFixed(1)} bind groups a step: ${label}\n`);
  if (dawn) closeNodeGpu();
}

void main();
