// A small saved run in the studio's JSON format (two blocks, TEQ details), imported through History
// by tests that need a run without running one.
/** A finished run as the engine reports it, with TEQ scales for 2 blocks x 2 groups x 48 channels. */
export function fakeRun(id: string, method: 'rtn' | 'teq', bits: 3 | 4, pplQuant: number) {
  // The engine's shape: details.teq.blocks[] with per-group alpha vectors and per-step losses.
  const blocks = [0, 1].map((block) => ({
    block,
    losses: [1, 0.5, 0.25].map((l) => l * (block + 1)),
    alpha: Object.fromEntries(['gate_up', 'qkv'].map((group) => [group, Array.from({ length: 48 }, (_, c) => Math.exp(Math.sin(c + block) * 0.5))])),
  }));
  return {
    schema: 1,
    id,
    createdAt: new Date(Date.UTC(2026, 10, 23, 12, bits)).toISOString(),
    status: 'done',
    model: 'bundled:stories260K',
    method,
    bits,
    groupSize: 32,
    symmetric: false,
    steps: 20,
    seed: 0,
    config: {
      model: 'bundled:stories260K',
      method,
      bits,
      groupSize: 32,
      symmetric: false,
      text: 'tinystories',
      calibSamples: 16,
      seqLen: 256,
      evalWindows: 8,
      seed: 0,
      steps: 20,
      lr: 0.001,
      teqLoss: 'block',
      teqEstimator: 'ste-round',
      teqInit: 'awq',
      tqIters: 10,
      tqSchedule: 'short10',
      tqBatch: 4,
    },
    device: 'SwiftShader',
    pplFp: 10.5,
    pplQuant,
    evalTokens: 2048,
    seconds: { calibration: 1.5, eval: 3.25 },
    layerErrors: [0, 1].flatMap((block) =>
      ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((layer, i) => ({ block, layer, relMse: 0.001 * (i + 1) * (block + 1) })),
    ),
    blockErrors: [
      { block: 0, relMse: 0.002 },
      { block: 1, relMse: 0.004 },
    ],
    details: method === 'teq' ? { teq: { loss: 'block', blocks } } : {},
  };
}

/** A TEQ → TesseraQ run whose two scale groups differ by orders of magnitude (as OPT's do). */
export function chartsRun() {
  const run = fakeRun('run-charts', 'teq', 3, 12) as ReturnType<typeof fakeRun> & { details: Record<string, unknown> };
  run.method = 'teq+tesseraq' as never;
  run.config.method = 'teq+tesseraq' as never;
  const teqBlocks = [0, 1].map((block) => ({
    block,
    losses: [1, 0.5, 0.25].map((l) => l * (block + 1)),
    alpha: {
      gate_up: Array.from({ length: 48 }, (_, c) => Math.exp(Math.sin(c + block) * 3)),
      qkv: Array.from({ length: 48 }, (_, c) => Math.exp(Math.sin(c + block) * 0.003)),
    },
  }));
  const tqBlocks = [0, 1].map((block) => ({
    block,
    rtnLoss: 0.02 * (block + 1),
    finalLoss: 0.01 * (block + 1),
    layers: [{ role: 'q_proj', flipFraction: 0.05, hardFraction: [0.5, 1], meanF: 0.98, elements: 100, flips: 5 }],
    rounds: [{ losses: [0.02, 0.015] }, { losses: [0.012, 0.01] }],
  }));
  run.details = { teq: { loss: 'block', blocks: teqBlocks }, tesseraq: { iters: 2, blocks: tqBlocks } };
  return run;
}

/** A TEQ run with the LM loss's held-out selection: the start and steps 32 and 64 scored, step 32 kept by a near-tie margin. */
export function heldOutRun() {
  const base = fakeRun('run-heldout', 'teq', 3, 12);
  const teq = base.details.teq as { blocks: unknown[] };
  const run = { ...base, config: { ...base.config, teqLoss: 'lm' }, details: {} as Record<string, unknown> };
  run.details = {
    teq: {
      loss: 'lm',
      blocks: teq.blocks,
      losses: [2, 1.8, 1.7],
      selection: {
        heldOutWindows: 16,
        trainWindows: 112,
        keptStep: 32,
        keptLoss: 1.5,
        startLoss: 1.6,
        scores: [
          { step: 0, loss: 1.6, kept: true },
          { step: 32, loss: 1.5, against: 0, z: 2.2, kept: true },
          { step: 64, loss: 1.49, against: 32, z: 0.4, kept: false },
        ],
      },
    },
  };
  return run;
}
