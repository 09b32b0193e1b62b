import { describe, expect, test } from 'vitest';
import { BadInputError } from '../gpu/errors';
import { lockedRunIds, runLockName, withRunLock, type RunLocks } from './run-locks';

/** Exclusive locks with ifAvailable, as navigator.locks grants them; `held` is shared like the browser's. */
function fakeLocks(held: Set<string>): RunLocks {
  return {
    async request(name, { ifAvailable }, callback) {
      if (held.has(name)) {
        if (ifAvailable) return callback(null);
        throw new Error('this fake only grants ifAvailable requests');
      }
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })) };
    },
  };
}

describe('a run is locked to the tab that runs it', () => {
  test('while tab A runs it, tab B sees it as locked and cannot run it; afterwards it can', async () => {
    const browser = new Set<string>(['some-other-lock']);
    const tabA = fakeLocks(browser);
    const tabB = fakeLocks(browser);
    let finish!: () => void;
    const running = withRunLock(tabA, 'r1', () => new Promise<string>((ok) => (finish = () => ok('done in A'))));
    await Promise.resolve();
    expect([...(await lockedRunIds(tabB))]).toEqual(['r1']);
    let ranInB = false;
    const e = await withRunLock(tabB, 'r1', async () => {
      ranInB = true;
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BadInputError);
    expect((e as Error).message).toMatch(/^Run r1 is running in another tab/);
    expect(ranInB).toBe(false);
    finish();
    expect(await running).toBe('done in A');
    expect(await lockedRunIds(tabB)).toEqual(new Set());
    expect(await withRunLock(tabB, 'r1', async () => 'resumed in B')).toBe('resumed in B');
  });

  test('lock names are per run, and no Web Locks (Node) means no locking', async () => {
    expect(runLockName('abc')).toBe('webgpu-quant-studio:run:abc');
    expect(await withRunLock(undefined, 'r', async () => 7)).toBe(7);
    expect(await lockedRunIds(undefined)).toEqual(new Set());
  });
});
