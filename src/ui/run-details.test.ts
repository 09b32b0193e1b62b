import { describe, expect, it } from 'vitest';
import type { RunResult } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { gptqErrorMatrix, layerErrorMatrix, layerNameOf, readGptq, readLosses, readScales, scalesByGroup, shortLayerName } from './run-details';

function run(details: Record<string, unknown>, layerErrors: RunResult['layerErrors'] = []): RunResult {
  return {
    schema: 1,
    id: 'x',
    createdAt: '',
    status: 'done',
    model: 'm',
    method: 'teq',
    bits: 4,
    groupSize: 32,
    symmetric: false,
    steps: 1,
    seed: 0,
    config: DEFAULT_CONFIG,
    device: '',
    pplFp: 1,
    pplQuant: 1,
    evalTokens: 0,
    seconds: {},
    layerErrors,
    blockErrors: [],
    details,
  };
}

describe('run details', () => {
  it('reads TEQ alpha per block and group, sorted by block then group', () => {
    const r = run({
      teq: {
        blocks: [
          { block: 1, alpha: { qkv: [3], gate_up: [4, 5] } },
          { block: 0, alpha: { qkv: [1] } },
        ],
      },
    });
    expect(readScales(r)).toEqual([
      { block: 0, group: 'qkv', values: [1] },
      { block: 1, group: 'gate_up', values: [4, 5] },
      { block: 1, group: 'qkv', values: [3] },
    ]);
  });

  it('falls back to AWQ subsets, and skips malformed entries', () => {
    const r = run({
      awq: [
        {
          block: 0,
          subsets: [
            { name: 'qkv', scales: [2, 0.5] },
            { name: 'bad', scales: ['x'] },
          ],
        },
        { subsets: [] },
      ],
    });
    expect(readScales(r)).toEqual([{ block: 0, group: 'qkv', values: [2, 0.5] }]);
    expect(readScales(run({}))).toEqual([]);
  });

  it('reads TEQ block losses and the LM loss', () => {
    expect(readLosses(run({ teq: { blocks: [{ block: 2, losses: [3, 2] }] } }))).toEqual([{ name: 'TEQ block 2', steps: [0, 1], values: [3, 2] }]);
    expect(readLosses(run({ teq: { losses: [5, 4, 3], blocks: [{ block: 0, alpha: {} }] } }))).toEqual([
      { name: 'TEQ LM loss', steps: [0, 1, 2], values: [5, 4, 3] },
    ]);
  });

  it('builds one blocks x channels matrix per group, NaN where a vector is short', () => {
    const [g] = scalesByGroup([
      { block: 1, group: 'qkv', values: [3] },
      { block: 0, group: 'qkv', values: [1, 2] },
    ]);
    expect(g.group).toBe('qkv');
    expect(g.blocks).toEqual([0, 1]);
    expect(g.cols).toBe(2);
    expect(Array.from(g.values)).toEqual([1, 2, 3, NaN]);
  });

  it('shortens HF module names to their role and lays errors out as blocks x roles', () => {
    expect(shortLayerName('model.layers.12.self_attn.q_proj')).toBe('q_proj');
    expect(shortLayerName('model.layers.0.mlp.down_proj')).toBe('down_proj');
    expect(shortLayerName('model.decoder.layers.3.fc1')).toBe('fc1');
    expect(shortLayerName('lm_head')).toBe('lm_head');
    const m = layerErrorMatrix(
      run({}, [
        { block: 1, layer: 'model.layers.1.self_attn.q_proj', relMse: 0.3 },
        { block: 0, layer: 'model.layers.0.self_attn.q_proj', relMse: 0.1 },
        { block: 0, layer: 'model.layers.0.mlp.up_proj', relMse: 0.2 },
      ]),
    );
    expect(m.blocks).toEqual([0, 1]);
    expect(m.layers).toEqual(['q_proj', 'up_proj']);
    expect(Array.from(m.values).map((v) => (Number.isNaN(v) ? null : +v.toFixed(6)))).toEqual([0.1, 0.2, 0.3, null]);
  });

  it("reads GPTQ's per-layer errors and Hessian diagonals, skipping malformed entries; the matrix holds GPTQ's error and its ratio to RTN's", () => {
    const r = run({
      gptq: {
        blocks: [
          {
            block: 1,
            layers: [{ layer: 'model.layers.1.mlp.down_proj', relErrRtn: 0.04, relErrGptq: 0.01 }],
            hessianDiag: { down: [1, 2, 3] },
          },
          {
            block: 0,
            layers: [
              { layer: 'model.layers.0.self_attn.q_proj', relErrRtn: 0.2, relErrGptq: 0.05 },
              { layer: 'bad', relErrRtn: 'x' },
            ],
            hessianDiag: { q: [4, 5], bad: ['y'] },
          },
          { layers: [] },
        ],
      },
    });
    const g = readGptq(r);
    expect(g.layers).toEqual([
      { block: 0, layer: 'q_proj', relErrRtn: 0.2, relErrGptq: 0.05 },
      { block: 1, layer: 'down_proj', relErrRtn: 0.04, relErrGptq: 0.01 },
    ]);
    expect(g.hessianDiag).toEqual([
      { block: 0, group: 'q', values: [4, 5] },
      { block: 1, group: 'down', values: [1, 2, 3] },
    ]);
    const m = gptqErrorMatrix(g.layers);
    expect(m.blocks).toEqual([0, 1]);
    expect(m.layers).toEqual(['q_proj', 'down_proj']);
    const show = (a: Float32Array) => Array.from(a).map((v) => (Number.isNaN(v) ? null : +v.toFixed(6)));
    expect(show(m.gptq)).toEqual([0.05, null, null, 0.01]);
    expect(show(m.ratio)).toEqual([0.25, null, null, 0.25]);
    expect(readGptq(run({}))).toEqual({ layers: [], hessianDiag: [] });
  });
});

describe('layerNameOf', () => {
  const run = {
    layerErrors: [
      { block: 2, layer: 'model.layers.2.self_attn.q_proj', relMse: 0 },
      { block: 2, layer: 'model.layers.2.mlp.gate_proj', relMse: 0 },
      { block: 3, layer: 'model.decoder.layers.3.self_attn.out_proj', relMse: 0 },
      { block: 3, layer: 'model.decoder.layers.3.fc1', relMse: 0 },
    ],
  };
  it('finds a layer from a heatmap column or a TesseraQ role', () => {
    expect(layerNameOf(run, 2, 'q_proj')).toBe('model.layers.2.self_attn.q_proj');
    expect(layerNameOf(run, 2, 'gate')).toBe('model.layers.2.mlp.gate_proj');
    expect(layerNameOf(run, 3, 'o')).toBe('model.decoder.layers.3.self_attn.out_proj');
    expect(layerNameOf(run, 3, 'fc1')).toBe('model.decoder.layers.3.fc1');
    expect(layerNameOf(run, 4, 'q')).toBeNull();
  });
});
