// A training step produced a non-finite loss or parameter: the block is rolled back and retried
// with a smaller learning rate; a second failure stops the run with this error.
import { EngineError } from '../gpu/errors';

export class NonFiniteError extends EngineError {
  constructor(
    readonly block: number,
    readonly layer: string,
    detail: string,
  ) {
    super('bad-input', `Training diverged in block ${block}, layer ${layer}: ${detail}.`);
  }
}

/** Retries once with a tenth of the learning rate, then gives up with the block and layer named. */
export const RETRY_LR_FACTOR = 0.1;

export function finalDivergence(e: NonFiniteError): EngineError {
  return new EngineError(
    'bad-input',
    `${e.message} Rolled back and retried with a tenth of the learning rate, and it diverged again. ` +
      `Check the model's weights and the calibration text for non-finite values, or lower the learning rate.`,
  );
}
