// One TEQ step through a trainer's blocks as quant/teq.ts runs it, without the embedding, the LM head
// and the loss (an uninitialised input and output gradient): for counting and timing what the engine
// encodes on a fake device (bench:encode --teq, the trainer's tests).
import type { Gpu } from '../../gpu/gpu';
import type { ModelConfig } from '../../core/model-config';
import type { BatchShape } from '../../model/block';
import { blocksForward } from '../../model/block-chain';
import type { TeqTrainer } from '../teq-trainer';

/** Refresh, every block forward, every block backward with dα contributions, then the update (step 1, 2, ...). */
export function teqBlocksStep(gpu: Gpu, cfg: ModelConfig, trainer: TeqTrainer, blocks: number, shape: BatchShape, step: number): void {
  const tokens = shape.batch * shape.seqLen;
  trainer.refresh(tokens);
  const { h, saved } = blocksForward(gpu, cfg, (b) => trainer.effectiveBlock(b), gpu.tensor([tokens, cfg.hidden]), shape, blocks);
  const dh = gpu.tensor(h.shape);
  h.release();
  trainer.backward(saved, dh, shape, 'ste-round');
  trainer.update(1e-3, step);
}
