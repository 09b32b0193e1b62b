// Reads TEQ's held-out selection from a run's details (details.teq.selection and the kept α per
// block and group), defensively: older runs have no selection, imported files may have anything.
import type { RunResult } from '../core/run-types';
import { alphaMovement, TEQ_KEEP_Z } from '../quant/teq-holdout';

export interface TeqSelectionSummary {
  heldOutWindows: number;
  trainWindows: number;
  keptStep: number;
  /** Mean per-token cross-entropy on the held-out windows: of the kept α and of the start. */
  keptLoss?: number;
  startLoss?: number;
  /** Each scored step; from runs that kept per-window losses, the kept α's step it was compared with,
   *  its margin in standard errors (pairedGain) and whether it replaced the kept α. */
  scores: { step: number; loss: number; against?: number; z?: number; kept?: boolean }[];
  /** How far the kept α moved from its start (ones), per block and group: mean and max |ln α|. */
  moved: { block: number; group: string; meanAbsLog: number; maxAbsLog: number }[];
}

const isNum = (v: unknown): v is number => typeof v === 'number';

export function readTeqSelection(run: RunResult | null | undefined): TeqSelectionSummary | null {
  const teq = ((run?.details ?? {}) as { teq?: { selection?: unknown; blocks?: unknown } }).teq;
  const sel = teq?.selection as Record<string, unknown> | undefined;
  if (!sel || !isNum(sel.heldOutWindows) || !isNum(sel.trainWindows) || !isNum(sel.keptStep)) return null;
  const scores: TeqSelectionSummary['scores'] = [];
  for (const s of Array.isArray(sel.scores) ? (sel.scores as Record<string, unknown>[]) : []) {
    if (typeof s !== 'object' || s === null || !isNum(s.step) || !isNum(s.loss)) continue;
    scores.push({
      step: s.step,
      loss: s.loss,
      ...(isNum(s.against) ? { against: s.against } : {}),
      ...(isNum(s.z) ? { z: s.z } : {}),
      ...(typeof s.kept === 'boolean' ? { kept: s.kept } : {}),
    });
  }
  const moved: TeqSelectionSummary['moved'] = [];
  for (const b of Array.isArray(teq!.blocks) ? (teq!.blocks as { block?: unknown; alpha?: unknown }[]) : []) {
    if (!isNum(b.block) || typeof b.alpha !== 'object' || b.alpha === null) continue;
    for (const [group, values] of Object.entries(b.alpha as Record<string, unknown>)) {
      if (Array.isArray(values) && values.every(isNum)) moved.push({ block: b.block, group, ...alphaMovement(values) });
    }
  }
  return {
    heldOutWindows: sel.heldOutWindows,
    trainWindows: sel.trainWindows,
    keptStep: sel.keptStep,
    keptLoss: isNum(sel.keptLoss) ? sel.keptLoss : undefined,
    startLoss: isNum(sel.startLoss) ? sel.startLoss : undefined,
    scores,
    moved,
  };
}

/** Within this many standard errors of TEQ_KEEP_Z a held-out choice is a near-tie: another seed, or
 *  f16 products instead of f32 ones, can take the other side (stories260K, TEQ then GPTQ at W3). */
export const NEAR_TIE_Z = 0.5;

export const isNearTie = (z: number | undefined): boolean => z !== undefined && Math.abs(z - TEQ_KEEP_Z) < NEAR_TIE_Z;

/** "2.31 standard errors lower", "0.40 standard errors higher"; "" without a margin. */
export function marginText(z: number | undefined): string {
  if (z === undefined) return '';
  return `${Math.abs(z).toFixed(2)} standard errors ${z >= 0 ? 'lower' : 'higher'}${isNearTie(z) ? ' (a near-tie)' : ''}`;
}
