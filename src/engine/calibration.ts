// Calibration samples: `count` windows of `seqLen` tokens drawn at seeded random offsets from the
// calibration tokens ([BOS] + encode(calibration text)); `draw` says how the seed picks the offsets.
import type { ModelConfig } from '../core/model-config';
import { BadInputError } from '../gpu/errors';
import type { WindowDraw } from '../core/run-types';
import { windowStarts } from './window-draws';
import { ropeExactPositions } from '../reference/rope';

export function calibrationSamples(tokens: ArrayLike<number>, count: number, seqLen: number, seed: number, draw: WindowDraw = 'studio'): Uint32Array {
  if (tokens.length < seqLen + 1) {
    throw new BadInputError(
      `The calibration text has ${tokens.length} tokens, fewer than one sample of ${seqLen}. ` + `Use a longer text or a shorter sequence length.`,
    );
  }
  const starts = windowStarts(draw, tokens.length - seqLen, count, seed);
  const out = new Uint32Array(count * seqLen);
  for (let s = 0; s < count; s++) {
    const start = starts[s];
    for (let i = 0; i < seqLen; i++) out[s * seqLen + i] = tokens[start + i];
  }
  return out;
}

export function checkEvalText(tokens: number, windowLen: number): void {
  if (tokens < windowLen) {
    throw new BadInputError(
      `The evaluation text has ${tokens} tokens, fewer than one window of ${windowLen}. ` + `Use a longer text or a shorter sequence length.`,
    );
  }
}

/** Windows the model computes exactly: within OPT's learned position table, a sliding window, LongRoPE's and dynamic NTK's original length. */
export function checkContext(cfg: ModelConfig, seqLen: number): void {
  if (cfg.positionOffset !== undefined && seqLen > cfg.maxPositions) {
    throw new BadInputError(
      `A sequence length of ${seqLen} is longer than ${cfg.name}'s ${cfg.maxPositions} learned positions (max_position_embeddings). Use a sequence length of at most ${cfg.maxPositions}.`,
    );
  }
  if (cfg.slidingWindow !== undefined && seqLen > cfg.slidingWindow) {
    throw new BadInputError(
      `A sequence length of ${seqLen} is longer than ${cfg.name}'s sliding window of ${cfg.slidingWindow} tokens; the studio computes full causal attention, which equals the model's only up to the window. Use a sequence length of at most ${cfg.slidingWindow}.`,
    );
  }
  // where the studio's RoPE stops being the model's (ropeExactPositions): LongRoPE's and dynamic NTK's original length
  const exact = ropeExactPositions(cfg);
  if (seqLen > exact) {
    const why =
      cfg.ropeScaling?.type === 'longrope'
        ? `${cfg.name}'s original_max_position_embeddings of ${exact}; past it the model's LongRoPE rotates with its long factors, and the studio implements the short ones only`
        : `the ${exact} positions up to which ${cfg.name}'s dynamic NTK RoPE keeps its frequencies; past it they change with the length, which the studio does not implement`;
    throw new BadInputError(`A sequence length of ${seqLen} is longer than ${why}. Use a sequence length of at most ${exact}.`);
  }
}
