// TEQ's held-out selection: the last calibration windows are kept out of training, the α is
// scored on them at the start and every few steps, and the best scoring α is the one folded. The
// start is scored too, so the result is never worse than the start on that held-out loss. A later
// step replaces the kept α only when it is lower on the held-out windows by more than TEQ_KEEP_Z
// standard errors of the per-window difference: a gain within the windows' noise is not one (on
// stories260K such kept steps were up to 1.2% worse than the start on the evaluation text).

/** Held-out windows of `calibSamples` for a share `fraction` (0: none; otherwise at least one, and at least one left to train on). */
export function teqHoldoutWindows(calibSamples: number, fraction: number): number {
  if (!(fraction > 0) || calibSamples < 2) return 0;
  return Math.min(calibSamples - 1, Math.max(1, Math.round(calibSamples * fraction)));
}

/** The kept α so far: where it was scored and how (its loss rounded to f32, so a checkpoint holds it
 *  exactly; the loss of each held-out window, absent in checkpoints saved before they were kept). */
export interface TeqKept {
  step: number;
  loss: number;
  alpha: Float32Array;
  windows?: Float32Array;
}

/** Standard errors by which a step must beat the kept α (one-sided, about 98% for a normal difference). */
export const TEQ_KEEP_Z = 2;

/** One held-out score: the step and the mean per-token cross-entropy over the held-out windows (f32),
 *  and each window's (absent in checkpoints saved before they were kept). */
export interface TeqHeldOutScore {
  step: number;
  loss: number;
  windows?: Float32Array;
}

/** A score as the selection met it: its per-window losses, the kept α's step it was compared with and
 *  by how many standard errors it was lower (pairedGain; absent for the first score and without
 *  per-window losses). */
export interface TeqScoreDecision {
  step: number;
  loss: number;
  windows?: number[];
  against?: number;
  z?: number;
  kept: boolean;
}

/**
 * The first score is kept whatever it is; later, a finite loss replaces a non-finite one, and a
 * finite one replaces a finite one only if clearly lower (clearlyLower). A tie keeps the earlier α:
 * the start over a step that changed nothing.
 */
export function keepBetter(kept: TeqKept | null, step: number, loss: number, alpha: Float32Array, windows?: Float32Array): TeqKept {
  const better = !kept || (Number.isFinite(loss) && (!Number.isFinite(kept.loss) || clearlyLower(loss, windows, kept.loss, kept.windows)));
  return better ? { step, loss, alpha: alpha.slice(), windows: windows?.slice() } : kept;
}

/**
 * Whether a candidate's held-out loss is below the kept one by more than TEQ_KEEP_Z standard errors
 * of the paired per-window difference (both scored on the same windows). Without per-window losses
 * for both, or with a single window, any strictly lower mean.
 */
export function clearlyLower(loss: number, windows: Float32Array | undefined, keptLoss: number, keptWindows: Float32Array | undefined): boolean {
  if (!(loss < keptLoss)) return false;
  const z = pairedGain(windows, keptWindows);
  return z === undefined || z > TEQ_KEEP_Z;
}

/**
 * By how many standard errors of the paired per-window difference the candidate's windows are lower
 * than the kept ones (negative: higher; ±Infinity for a difference without spread); undefined
 * without both per-window losses on the same windows, or with a single window.
 */
export function pairedGain(windows: ArrayLike<number> | undefined, keptWindows: ArrayLike<number> | undefined): number | undefined {
  const n = windows?.length ?? 0;
  if (!windows || !keptWindows || keptWindows.length !== n || n < 2) return undefined;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += windows[i] - keptWindows[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (windows[i] - keptWindows[i] - mean) ** 2;
  const standardError = Math.sqrt(ss / (n - 1) / n);
  if (standardError === 0) return mean < 0 ? Infinity : mean > 0 ? -Infinity : 0;
  return -mean / standardError;
}

/**
 * The selection replayed over its scores (keepBetter's rule, in order), each with the step it was
 * compared with and its margin: what Inspect shows, so that a choice near the threshold (a near-tie
 * that another seed or precision can flip) is visible as one.
 */
export function selectionDecisions(scores: readonly TeqHeldOutScore[]): TeqScoreDecision[] {
  let kept: TeqKept | null = null;
  return scores.map(({ step, loss, windows }) => {
    const before = kept;
    kept = keepBetter(kept, step, loss, new Float32Array(0), windows);
    const z = before ? pairedGain(windows, before.windows) : undefined;
    return {
      step,
      loss,
      ...(windows ? { windows: Array.from(windows) } : {}),
      ...(before ? { against: before.step } : {}),
      ...(z !== undefined ? { z } : {}),
      kept: kept !== before,
    };
  });
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
