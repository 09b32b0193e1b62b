// Every registered method reaches every place that lists methods: the URL/CLI parser, the CLI
// usage, the Method panel, the memory plan, the bench report, Run and History labels, resumption.
// They all read the registry, so a method missing from one of them is a bug this test names.
import { describe, expect, it, vi } from 'vitest';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { CONFIG_FIELDS, DEFAULT_CONFIG, METHODS, METHOD_NAMES, QUANTIZING_METHODS } from './registry';
import { parseConfigQuery, configToQuery } from '../engine/url-config';
import { planMemory } from '../engine/memory-plan';
import { resumable } from '../engine/run';
import { quantizeUsage } from '../cli/usage';
import { BENCH_METHODS, benchMarkdown, type BenchReport } from '../cli/bench-report';
import { runFileName } from '../engine/history';
import { METHOD_LABELS, runLabel } from '../ui/format';
import { PRESETS } from '../ui/presets';
import { randomModel } from '../formats/random-model';
import type { Method, RunConfig, RunResult } from '../core/run-types';

const state = { config: DEFAULT_CONFIG as RunConfig, setConfig: () => {}, model: null, gpu: { status: 'unknown' } };
vi.mock('../ui/store', () => ({ useStudio: (pick: (s: typeof state) => unknown) => pick(state) }));
const { MethodPanel } = await import('../ui/panels/MethodPanel');

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('method registry', () => {
  it('names each method once, by the key it is registered under', () => {
    for (const m of METHOD_NAMES) expect(METHODS[m].name).toBe(m);
    expect(new Set(CONFIG_FIELDS.map((f) => f.key)).size).toBe(CONFIG_FIELDS.length);
    expect(Object.keys(DEFAULT_CONFIG)).toEqual(CONFIG_FIELDS.map((f) => f.key));
  });

  it.each(METHOD_NAMES)('%s: the URL and CLI parser reads it and its settings', (m) => {
    const parsed = parseConfigQuery(`method=${encodeURIComponent(m)}`);
    expect(parsed.notes).toEqual([]);
    expect(parsed.config.method).toBe(m);
    expect(configToQuery({ ...DEFAULT_CONFIG, method: m })).toBe(m === DEFAULT_CONFIG.method ? '' : `method=${encodeURIComponent(m)}`);
    for (const f of METHODS[m].fields) expect(CONFIG_FIELDS).toContain(f);
  });

  it.each(QUANTIZING_METHODS)('%s: the CLI usage lists it and every flag of its settings', (m) => {
    const usage = quantizeUsage();
    expect(usage).toContain(`--method ${QUANTIZING_METHODS.join('|')}`);
    for (const f of METHODS[m].fields) expect(usage).toContain(`--${f.key} `);
  });

  it.each(METHOD_NAMES)('%s: the Method panel offers it and draws each of its settings', (m) => {
    state.config = { ...DEFAULT_CONFIG, method: m };
    const html = renderToStaticMarkup(createElement(MethodPanel));
    for (const other of METHOD_NAMES) expect(html).toContain(`>${escape(METHODS[other].label)}<`);
    expect(html).toContain(escape(METHODS[m].description));
    for (const group of METHODS[m].settings) expect(html).toContain(`<h3>${escape(group.title)}</h3>`);
    for (const f of METHODS[m].fields) {
      expect(f.label, `${f.key} has no label`).toBeTruthy();
      expect(html).toContain(`>${escape(f.label!)}</label>`);
    }
    expect(METHODS[m].settings.flatMap((g) => g.fields)).toEqual(METHODS[m].fields.map((f) => f.key));
  });

  it.each(METHOD_NAMES)('%s: the memory plan counts its own phases', (m) => {
    const cfg = randomModel('tiny-llama', 1).weights.config;
    const plan = planMemory(cfg, { ...DEFAULT_CONFIG, method: m });
    const own = Object.keys(plan.phases).filter((p) => !['eval-fp', 'measure', 'eval-quant'].includes(p));
    if (METHODS[m].run) {
      expect(own.length).toBeGreaterThan(0);
      expect(Object.keys(plan.phases)).toContain('measure');
      expect(Object.keys(plan.phases)).toContain('eval-quant');
      for (const p of own) expect(plan.phases[p]).toBeGreaterThan(0);
    } else expect(Object.keys(plan.phases)).toEqual(['eval-fp']);
  });

  it.each(QUANTIZING_METHODS)('%s: the bench runs it and its row reaches the table', (m) => {
    expect(BENCH_METHODS).toContain(m);
    const rep: BenchReport = {
      date: '2026-01-01',
      device: 'd',
      model: 'x',
      config: DEFAULT_CONFIG,
      calibForwardSeconds: 1,
      calibTokensPerSecond: 1,
      rows: [{ method: m, seconds: 1.5, evalTokensPerSecond: 10, peakMiB: 1, plannedMiB: 2, pplFp: 1, pplQuant: 2 }],
    };
    expect(benchMarkdown(rep)).toContain(`| ${m} | 1.50 |`);
  });

  it.each(METHOD_NAMES)('%s: Run, Inspect, History and resumption know it', (m) => {
    const d = METHODS[m];
    expect(METHOD_LABELS[m]).toBe(d.label);
    const run = { method: m as Method, bits: 3, groupSize: 32, symmetric: false, model: 'bundled:x', id: 'id1' } as RunResult;
    expect(runLabel(run).startsWith(d.label)).toBe(true);
    expect(runFileName(run)).toMatch(new RegExp(`-${m.replace('+', '-')}-`));
    expect(resumable({ ...DEFAULT_CONFIG, method: m })).toBe(d.resumable);
    if (d.run) expect(d.phaseLabel, `${m} has no phase label for Run`).toBeTruthy();
    expect(['trained', 'searched', 'none']).toContain(d.inspect.scales);
    for (const p of PRESETS) expect(() => p.settings({ method: m })).not.toThrow();
  });
});
