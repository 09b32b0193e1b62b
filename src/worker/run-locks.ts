// A run belongs to the tab that runs it: its worker holds a Web Lock named after the run for as
// long as the run goes on (the browser releases it when the tab or worker goes away). Another tab
// neither lists that run as unfinished nor resumes it, so one run id never runs twice.
import { BadInputError } from '../gpu/errors';

/** The part of navigator.locks used here (a fake in tests). */
export interface RunLocks {
  request<T>(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<T>): Promise<T>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

const PREFIX = 'webgpu-quant-studio:run:';

export function runLockName(runId: string): string {
  return `${PREFIX}${runId}`;
}

/** Run ids whose lock some tab holds now. */
export async function lockedRunIds(locks: RunLocks | undefined): Promise<Set<string>> {
  if (!locks) return new Set();
  const { held = [] } = await locks.query();
  return new Set(
    held
      .map((l) => l.name ?? '')
      .filter((n) => n.startsWith(PREFIX))
      .map((n) => n.slice(PREFIX.length)),
  );
}

const TAKEN = Symbol('taken');

/** Runs `fn` holding the run's lock; refuses at once when another tab holds it. */
export async function withRunLock<T>(locks: RunLocks | undefined, runId: string, fn: () => Promise<T>): Promise<T> {
  if (!locks) return fn();
  const out = await locks.request<T | typeof TAKEN>(runLockName(runId), { ifAvailable: true }, async (lock) => (lock ? fn() : TAKEN));
  if (out === TAKEN) {
    throw new BadInputError(
      `Run ${runId} is running in another tab (or window) of this studio: it can be resumed here only once that tab has closed or the run has ended.`,
    );
  }
  return out;
}
