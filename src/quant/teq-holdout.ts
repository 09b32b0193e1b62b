// TEQ's held-out selection: the last calibration windows are kept out of training, the α is
// scored on them at the start and every few steps, and the best scoring α is the one folded. The
// start is scored too, so the result is never worse than the start on that held-out loss.

/** Held-out windows of `calibSamples` for a share `fraction` (0: none; otherwise at least one, and at least one left to train on). */
export function teqHoldoutWindows(calibSamples: number, fraction: number): number {
  if (!(fraction > 0) || calibSamples < 2) return 0;
  return Math.min(calibSamples - 1, Math.max(1, Math.round(calibSamples * fraction)));
}

/** The kept α so far: where it was scored and how (its loss rounded to f32, so a checkpoint holds it exactly). */
export interface TeqKept {
  step: number;
  loss: number;
  alpha: Float32Array;
}

/** One held-out score: the step and the mean per-token cross-entropy over the held-out windows (f32). */
export interface TeqHeldOutScore {
  step: number;
  loss: number;
}

/**
 * The first score is kept whatever it is; later, only a strictly lower finite loss replaces it (a tie
 * keeps the earlier α: the start over a step that changed nothing), or any finite one a non-finite.
 */
export function keepBetter(kept: TeqKept | null, step: number, loss: number, alpha: Float32Array): TeqKept {
  const better = !kept || (Number.isFinite(loss) && !(kept.loss <= loss));
  return better ? { step, loss, alpha: alpha.slice() } : kept;
}

/** How far α moved from its start (ones: AWQ's scales are folded in before training): mean and max |ln α|. */
export function alphaMovement(alpha: ArrayLike<number>): { meanAbsLog: number; maxAbsLog: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < alpha.length; i++) {
    const d = Math.abs(Math.log(alpha[i]));
    sum += d;
    if (d > max) max = d;
  }
  return { meanAbsLog: alpha.length ? sum / alpha.length : 0, maxAbsLog: max };
}
