// Checkpoints as transformers saves them (formats/testing/hf-checkpoint-cases.ts: LLaMA 2/3.1/3.2,
// TinyLlama, SmolLM2/3, Mistral, Qwen2/2.5, Qwen3, Phi-3, Phi-4-mini, Granite, OPT; F16/BF16/F32,
// sharded): full precision against transformers' float64 twin, RTN and GPTQ against the oracle of the
// stored model. The cases that also train (TEQ, TesseraQ) are in checkpoints-trained-*.gpu-test.ts.
import { CHECKPOINT_CASES } from '../formats/testing/hf-checkpoint-cases';
import { checkpointCases, TRAINED_NAMES } from './testing/checkpoint-check';

export const cases = checkpointCases(CHECKPOINT_CASES.map((c) => c.name).filter((n) => !TRAINED_NAMES.has(n)));
