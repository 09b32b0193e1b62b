// Checkpoint cases whose norms and biases differ most from the other GPU tests (q/k/v biases, q/k
// norms, post-norm OPT): fp, RTN, GPTQ, TEQ, TesseraQ and AWQ against their oracles.
import { checkpointCases, TRAINED_CASES } from './testing/checkpoint-check';

export const cases = checkpointCases(TRAINED_CASES.norms);
