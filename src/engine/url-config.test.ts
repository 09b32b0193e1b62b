import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { configToQuery, parseConfigQuery } from './url-config';

// Every field differs from its default, so a dropped or misparsed field cannot hide.
const EVERY_FIELD_CHANGED: RunConfig = {
  model: 'hf:org/some-model@a1b2c3',
  method: 'teq+tesseraq',
  bits: 3,
  groupSize: 128,
  symmetric: true,
  text: 'wikitext2',
  calibSamples: 64,
  seqLen: 512,
  evalWindows: 0,
  seed: 42,
  calibDraw: 'torch',
  measureErrors: false,
  steps: 250,
  lr: 5e-4,
  teqLoss: 'block',
  teqEstimator: 'ste-full',
  teqInit: 'ones',
  teqHoldout: 0.25,
  tqIters: 250,
  tqSchedule: 'paper20',
  tqBatch: 2,
  tqLr: 2e-3,
  tqInitInput: 'fp',
  gptqDamp: 0.05,
  gptqActOrder: true,
  gptqBlockSize: 64,
};

describe('url config', () => {
  it('writes nothing for the defaults and reads them back', () => {
    expect(configToQuery(DEFAULT_CONFIG)).toBe('');
    expect(parseConfigQuery('')).toEqual({ config: DEFAULT_CONFIG, notes: [], autorun: false });
  });

  it('a config saved before a field existed writes nothing for that field', () => {
    const { measureErrors: _, ...older } = { ...DEFAULT_CONFIG, method: 'teq' as const };
    expect(configToQuery(older as RunConfig)).toBe('method=teq');
  });

  it('writes only the non-default fields', () => {
    const q = configToQuery({ ...DEFAULT_CONFIG, method: 'teq', bits: 3 });
    expect(q).toBe('method=teq&bits=3');
  });

  it('round-trips a config with every field changed', () => {
    const q = configToQuery(EVERY_FIELD_CHANGED, { autorun: true });
    expect(q.split('&')).toHaveLength(Object.keys(DEFAULT_CONFIG).length + 1);
    expect(parseConfigQuery(q)).toEqual({ config: EVERY_FIELD_CHANGED, notes: [], autorun: true });
  });

  it('survives URL encoding of model ids and the "+" in a method name', () => {
    const q = configToQuery({ ...DEFAULT_CONFIG, method: 'teq+tesseraq', model: 'hf:a/b c@main' });
    expect(q).toContain('method=teq%2Btesseraq');
    const parsed = parseConfigQuery(new URL(`http://x/?${q}`).searchParams);
    expect(parsed.config.method).toBe('teq+tesseraq');
    expect(parsed.config.model).toBe('hf:a/b c@main');
  });

  it('replaces bad values by defaults and names each one', () => {
    const parsed = parseConfigQuery('bits=5&groupSize=-1&lr=0&steps=1.5&seqLen=abc&symmetric=yes&method=spqr&model=foo&calibSamples=16&evalWindows=');
    expect(parsed.config).toEqual({ ...DEFAULT_CONFIG, calibSamples: 16 });
    expect(parsed.notes).toHaveLength(9);
    for (const name of ['bits=5', 'groupSize=-1', 'lr=0', 'steps=1.5', 'seqLen=abc', 'symmetric=yes', 'method=spqr', 'model=foo', 'evalWindows=']) {
      expect(parsed.notes.some((n) => n.startsWith(`${name} is not valid`))).toBe(true);
    }
    expect(parsed.notes.find((n) => n.startsWith('bits=5'))).toContain('one of 2, 3, 4, 8');
    expect(parsed.notes.find((n) => n.startsWith('bits=5'))).toContain('the default 4 was used');
  });

  it('keeps good fields next to bad ones, and rejects out-of-range numbers', () => {
    const parsed = parseConfigQuery('method=awq&lr=2&seed=4294967296&tqBatch=0&bits=8');
    expect(parsed.config).toEqual({ ...DEFAULT_CONFIG, method: 'awq', bits: 8 });
    expect(parsed.notes).toHaveLength(3);
  });

  it('notes unknown parameters, repeats and a bad autorun', () => {
    const parsed = parseConfigQuery('foo=1&bits=3&bits=2&autorun=maybe');
    expect(parsed.config).toEqual({ ...DEFAULT_CONFIG, bits: 3 });
    expect(parsed.autorun).toBe(false);
    expect(parsed.notes).toEqual([
      'Unknown parameter "foo" was ignored.',
      '"bits" appears more than once; the first value was used.',
      'autorun=maybe is not 1 or 0; the run was not started.',
    ]);
  });

  it('warns that custom text is not part of a link', () => {
    const parsed = parseConfigQuery('text=custom');
    expect(parsed.config.text).toBe('custom');
    expect(parsed.notes).toEqual(['This link uses custom text, which links do not carry: paste it in Data.']);
  });

  it('reads booleans written as true/false too', () => {
    expect(parseConfigQuery('symmetric=true').config.symmetric).toBe(true);
    expect(parseConfigQuery('symmetric=1').config.symmetric).toBe(true);
    expect(parseConfigQuery('symmetric=0').config.symmetric).toBe(false);
  });
});
