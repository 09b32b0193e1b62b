import { describe, expect, it } from 'vitest';
import {
  keptChoice,
  qualityArgs,
  qualityCells,
  qualityMarkdown,
  qualityRows,
  qualitySummaries,
  runName,
  TRAINED_METHODS,
  type QualityRun,
} from './half-quality-table';
import { parseConfigQuery } from '../engine/url-config';

/** The run config the studio CLI builds from these arguments (its parser: --name value pairs). */
function cliConfig(args: string[]) {
  const params = new URLSearchParams();
  for (let i = 1; i < args.length; i++) {
    // the flags the studio CLI takes before its config parser (src/cli/studio.ts)
    if (args[i] === '--no-f16' || args[i] === '--f16' || args[i] === '--model' || args[i] === '--flipLastBits') {
      if (args[i] !== '--no-f16') i++;
      continue;
    }
    params.set(args[i].slice(2), args[++i]);
  }
  return parseConfigQuery(params);
}

const run = (
  method: QualityRun['method'],
  bits: number,
  seed: number,
  path: QualityRun['path'],
  pplQuant: number,
  extra: Partial<QualityRun> = {},
): QualityRun => ({
  method,
  bits,
  seed,
  path,
  pplQuant,
  linearMatmuls: path === 'f16' ? 'subgroup-matrix' : 'f32',
  ...extra,
});

describe("issue 17's quality check of the f16 path", () => {
  it('has the 16 cells of the issue (four trained methods, W4 and W3, seeds 0 and 1) and TesseraQ W2 per seed', () => {
    const cells = qualityCells(TRAINED_METHODS, [4, 3], [0, 1], true);
    expect(cells).toHaveLength(18);
    expect(cells.filter((c) => c.bits === 2)).toEqual([
      { method: 'tesseraq', bits: 2, seed: 0 },
      { method: 'tesseraq', bits: 2, seed: 1 },
    ]);
    expect(qualityCells(['rtn'], [2], [0], true)).toEqual([{ method: 'rtn', bits: 2, seed: 0 }]);
  });

  it("gives the studio CLI the README's reference settings, which its parser accepts", () => {
    const teqGptq = qualityArgs({ method: 'teq+gptq', bits: 3, seed: 1 }, 'f16');
    expect(teqGptq.slice(0, 3)).toEqual(['quantize', '--model', 'bundled']);
    expect(teqGptq.slice(-2)).toEqual(['--f16', 'all']);
    const parsed = cliConfig(teqGptq);
    expect(parsed.notes).toEqual([]);
    expect(parsed.config).toMatchObject({ method: 'teq+gptq', bits: 3, groupSize: 32, calibSamples: 128, seqLen: 512, evalWindows: 0, seed: 1, steps: 300 });
    const tq = qualityArgs({ method: 'tesseraq', bits: 2, seed: 0 }, 'f32');
    expect(tq.at(-1)).toBe('--no-f16');
    expect(cliConfig(tq).config).toMatchObject({ method: 'tesseraq', bits: 2, tqIters: 50, tqSchedule: 'paper20', calibSamples: 128 });
    expect(cliConfig(qualityArgs({ method: 'teq+tesseraq', bits: 4, seed: 0 }, 'f16')).config).toMatchObject({ steps: 20, tqIters: 50, tqSchedule: 'paper20' });
    expect(runName({ method: 'teq+gptq', bits: 3, seed: 1 }, 'f16')).toBe('teq_gptq-W3-s1-f16');
  });

  it('judges W4/W3 cells by 0.3% and W2 by the f32 seed spread (hand-computed cases)', () => {
    const rows = qualityRows([
      run('teq', 4, 0, 'f16', 5.61), // +0.17857%: within
      run('teq', 4, 0, 'f32', 5.6),
      run('teq+gptq', 3, 1, 'f16', 7.4634), // (7.4634 - 7.4086) / 7.4086 = +0.7397%: outside
      run('teq+gptq', 3, 1, 'f32', 7.4086),
      run('tesseraq', 2, 0, 'f16', 11.758), // |11.758 - 12.020| = 0.262 > spread 0.108: outside
      run('tesseraq', 2, 0, 'f32', 12.02),
      run('tesseraq', 2, 1, 'f16', 12.1), // |12.1 - 12.128| = 0.028: within
      run('tesseraq', 2, 1, 'f32', 12.128),
      run('tesseraq', 3, 0, 'f16', 6.07), // no f32 run: not judged
    ]);
    expect(rows.map((r) => r.ok)).toEqual([true, false, false, true, undefined]);
    expect(rows[0].delta).toBeCloseTo(0.01 / 5.6, 12);
    expect(rows[1].delta).toBeCloseTo(0.0548 / 7.4086, 12);
    expect(rows[2].note).toBe('outside the f32 seed spread 0.108');
    expect(rows[4].note).toBe('no f32 run');
    const md = qualityMarkdown(rows);
    expect(md).toContain('| teq+gptq | 3 | 1 | 7.4634 | 7.4086 | +0.74% | outside 0.3% |');
    expect(md).toContain('2 of 4 judged cells pass (5 cells).');
  });

  it('fails a cell whose f16 run took the f32 path (a GPU without the f16 path would otherwise pass by comparing f32 with f32)', () => {
    const rows = qualityRows([run('teq', 3, 0, 'f16', 7.9081, { linearMatmuls: 'f32' }), run('teq', 3, 0, 'f32', 7.9081)]);
    expect(rows[0].ok).toBe(false);
    expect(rows[0].note).toMatch(/took the f32 path/);
  });

  it('sums each method and bit width up over its seeds: means, the mean relative difference and its standard error (hand-computed)', () => {
    const rows = qualityRows([
      run('tesseraq', 3, 0, 'f16', 6.06), // (6.06 - 6.0) / 6.0 = +1%
      run('tesseraq', 3, 0, 'f32', 6.0),
      run('tesseraq', 3, 1, 'f16', 5.97), // (5.97 - 6.0) / 6.0 = -0.5%
      run('tesseraq', 3, 1, 'f32', 6.0),
      run('tesseraq', 3, 2, 'f16', 6.09), // (6.09 - 6.09) / 6.09 = 0
      run('tesseraq', 3, 2, 'f32', 6.09),
      run('tesseraq', 2, 0, 'f16', 12.2),
      run('tesseraq', 2, 0, 'f32', 12.0),
      run('tesseraq', 2, 1, 'f16', 12.3), // means 12.25 / 12.05: 0.2 apart, spread 0.1: outside; deltas +1.667%, +1.653%
      run('tesseraq', 2, 1, 'f32', 12.1),
      run('teq', 4, 0, 'f16', 5.6), // one seed: no summary
      run('teq', 4, 0, 'f32', 5.6),
    ]);
    const [w3, w2] = qualitySummaries(rows);
    expect(qualitySummaries(rows)).toHaveLength(2);
    expect(w3).toMatchObject({ method: 'tesseraq', bits: 3, seeds: 3, ok: true });
    expect(w3.testedMean).toBeCloseTo(6.04, 12);
    expect(w3.f32Mean).toBeCloseTo(6.03, 12);
    // deltas +1%, -0.5%, 0: mean +0.1667%, sd 0.7638%, standard error 0.4410%; f32 sd 0.05196 / 6.03 = 0.86%
    expect(w3.meanDelta).toBeCloseTo(0.001 / 0.6, 12);
    expect(w3.deltaSe).toBeCloseTo(Math.sqrt((0.01 - 0.001 / 0.6) ** 2 + (0.005 + 0.001 / 0.6) ** 2 + (0.001 / 0.6) ** 2) / Math.sqrt(2) / Math.sqrt(3), 12);
    expect(w3.f32Sd).toBeCloseTo(Math.sqrt((2 * 0.03 ** 2 + 0.06 ** 2) / 2) / 6.03, 12);
    expect(w2).toMatchObject({ bits: 2, seeds: 2, ok: false });
    const md = qualityMarkdown(rows);
    expect(md).toContain('| tesseraq | 3 | 3 | 6.0400 | 6.0300 | +0.17% ± 0.44% | 0.86% | mean within 0.3% |');
    expect(md).toContain('| tesseraq | 2 | 2 | 12.250 | 12.050 | +1.66% ± 0.01% | 0.59% | means outside the f32 seed spread |');
  });

  it('runs the control on the f32 path with flipped last bits, and judges it by the same rule under its own label', () => {
    const args = qualityArgs({ method: 'tesseraq', bits: 3, seed: 0 }, 'flipped');
    expect(args.slice(-3)).toEqual(['--no-f16', '--flipLastBits', '1']);
    expect(cliConfig(args).config).toMatchObject({ method: 'tesseraq', bits: 3, tqIters: 50, calibSamples: 128 });
    expect(runName({ method: 'tesseraq', bits: 3, seed: 0 }, 'flipped')).toBe('tesseraq-W3-s0-flipped');
    // its runs take the f32 path on purpose: judged, not failed as an f16 run on the f32 path is
    const rows = qualityRows([
      run('tesseraq', 3, 0, 'flipped', 6.0, { linearMatmuls: 'f32' }),
      run('tesseraq', 3, 0, 'f32', 6.03), // (6.0 - 6.03) / 6.03 = -0.4975%: outside
      run('tesseraq', 3, 1, 'flipped', 6.01, { linearMatmuls: 'f32' }),
      run('tesseraq', 3, 1, 'f32', 6.0), // +0.1667%: within
    ]);
    expect(rows.map((r) => [r.ok, r.note])).toEqual([
      [false, 'outside 0.3%'],
      [true, 'within 0.3%'],
    ]);
    const md = qualityMarkdown(rows);
    expect(md).toContain('| method | W | seed | f32, last bits flipped | f32 path | flipped − f32 | verdict | kept (flipped / f32) |');
    expect(md).toContain('| tesseraq | 3 | 0 | 6.0000 | 6.0300 | -0.50% | outside 0.3% |  |');
    expect(md).toContain('| tesseraq | 3 | 2 | 6.0050 | 6.0150 | -0.17% ± 0.33% |');
  });

  it("names what each run's held-out choices kept", () => {
    expect(keptChoice({ teq: { selection: { keptStep: 64 } }, teqGptq: { keptTeq: true } })).toBe("step 64, TEQ's scales");
    expect(keptChoice({ teqGptq: { keptTeq: false } })).toBe('GPTQ alone');
    expect(keptChoice({ tesseraq: {} })).toBeUndefined();
  });
});
