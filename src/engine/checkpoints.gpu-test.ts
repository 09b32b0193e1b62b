// Checkpoints as transformers saves them (formats/testing/hf-checkpoint-cases.ts: LLaMA 2/3.1/3.2,
// TinyLlama, SmolLM2/3, Mistral, Qwen2/2.5, Qwen3, Phi-3, Phi-4-mini, Granite, OPT; F16/BF16/F32,
// sharded): full precision against transformers' float64 twin, RTN and GPTQ against the oracle of the
// stored model. The cases that also train (TEQ, TesseraQ) are in checkpoints-trained-*.gpu-test.ts.
import { CHECKPOINT_CASES } from '../formats/testing/hf-checkpoint-cases';
import { checkpointCases, TRAINED_CASES } from './testing/checkpoint-check';

const trained = new Set([...TRAINED_CASES.rope, ...TRAINED_CASES.norms]);
export const cases = checkpointCases(CHECKPOINT_CASES.map((c) => c.name).filter((n) => !trained.has(n)));
