// Calibration samples: `count` windows of `seqLen` tokens drawn at seeded random offsets from the
// calibration tokens ([BOS] + encode(calibration text)).
import { BadInputError } from '../gpu/errors';
import { mulberry32 } from '../reference/rng';

export function calibrationSamples(tokens: ArrayLike<number>, count: number, seqLen: number, seed: number): Uint32Array {
  if (tokens.length < seqLen + 1) {
    throw new BadInputError(
      `The calibration text has ${tokens.length} tokens, fewer than one sample of ${seqLen}. ` + `Use a longer text or a shorter sequence length.`,
    );
  }
  const r = mulberry32(seed ^ 0x9e3779b9);
  const out = new Uint32Array(count * seqLen);
  for (let s = 0; s < count; s++) {
    const start = Math.floor(r() * (tokens.length - seqLen));
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
