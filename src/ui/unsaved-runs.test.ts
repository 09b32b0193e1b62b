import { describe, expect, test } from 'vitest';
import { RESULT_SCHEMA_VERSION, type RunResult } from '../core/run-types';
import { DEFAULT_CONFIG } from '../methods/registry';
import { RunKeeper, type RunStore } from './unsaved-runs';

const run = (id: string): RunResult => ({
  schema: RESULT_SCHEMA_VERSION,
  id,
  createdAt: '2026-12-03T00:00:00Z',
  status: 'done',
  model: 'bundled:stories260K',
  method: 'rtn',
  bits: 4,
  groupSize: 32,
  symmetric: false,
  steps: 0,
  seed: 0,
  config: DEFAULT_CONFIG,
  device: 'test',
  pplFp: 5.3,
  pplQuant: 5.8,
  evalTokens: 100,
  seconds: {},
  layerErrors: [],
  blockErrors: [],
});

/** A store whose saves fail while `full` is set, as IndexedDB does over its quota. */
function fakeStore(): RunStore & { full: boolean; saved: RunResult[] } {
  const s = {
    full: false,
    saved: [] as RunResult[],
    async saveRun(r: RunResult) {
      if (s.full) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      s.saved.push(r);
    },
    async listRuns() {
      return [...s.saved];
    },
  };
  return s;
}

const describeError = (e: unknown) => (e instanceof Error ? e.message : String(e));

describe('a finished run whose save fails is kept', () => {
  test('with a full store: listed first, marked unsaved, with a message that survives a refresh', async () => {
    const store = fakeStore();
    const keeper = new RunKeeper(store);
    expect(await keeper.add(run('a'), describeError)).toBe(true);
    store.full = true;
    expect(await keeper.add(run('b'), describeError)).toBe(false);
    const v1 = await keeper.view();
    expect(v1.runs.map((r) => r.id)).toEqual(['b', 'a']);
    expect(v1.unsavedIds).toEqual(['b']);
    expect(v1.saveError).toMatch(
      /^A finished run was not saved \(The quota has been exceeded\.\)\. It is kept in this tab until you close it: download its JSON/,
    );
    // A second refresh (what used to clear the message) keeps it and the run.
    const v2 = await keeper.view();
    expect(v2.saveError).toBe(v1.saveError);
    expect(v2.runs.map((r) => r.id)).toEqual(['b', 'a']);
    expect(keeper.unsavedRuns().map((r) => r.id)).toEqual(['b']);
  });

  test('once storage is free again, saving it again clears the message', async () => {
    const store = fakeStore();
    const keeper = new RunKeeper(store);
    store.full = true;
    await keeper.add(run('b'), describeError);
    await keeper.add(run('c'), describeError);
    expect((await keeper.view()).saveError).toMatch(/^2 finished runs were not saved/);
    store.full = false;
    for (const r of keeper.unsavedRuns()) expect(await keeper.add(r, describeError)).toBe(true);
    const v = await keeper.view();
    expect(v.saveError).toBeNull();
    expect(v.unsavedIds).toEqual([]);
    expect(v.runs.map((r) => r.id).sort()).toEqual(['b', 'c']);
  });
});
