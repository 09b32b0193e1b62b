// Test helper: the FormatError a loader's promise rejects with.
import { expect } from 'vitest';
import { FormatError } from '../errors';

/** The rejection of p, which must be a FormatError (a resolved promise fails the check). */
export async function errorOf(p: Promise<unknown>): Promise<FormatError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, 'expected a FormatError').toBeInstanceOf(FormatError);
  return e as FormatError;
}
