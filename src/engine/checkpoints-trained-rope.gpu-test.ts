// Checkpoint cases whose positions differ most from the other GPU tests (llama3 RoPE with one KV head,
// partial rotary, NoPE layers): fp, RTN, GPTQ, TEQ and TesseraQ against their oracles.
import { checkpointCases, TRAINED_CASES } from './testing/checkpoint-check';

export const cases = checkpointCases(TRAINED_CASES.rope);
