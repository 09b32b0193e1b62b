// Errors for files that cannot be read as a model: each names the file, the tensor or field when
// there is one, the problem, and what the user can do about it.
import { BadInputError } from '../gpu/errors';

export class FormatError extends BadInputError {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly fix: string,
    readonly tensor?: string,
  ) {
    super(`${file}: ${tensor ? `tensor "${tensor}": ` : ''}${problem}. ${fix}`);
    this.name = 'FormatError';
  }
}

/** Hub/network problems (404, 401, truncated downloads): bad input too, with what to do. */
export class HubError extends BadInputError {
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}
