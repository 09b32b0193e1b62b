// Reads TEQ's held-out selection from a run's details (details.teq.selection and the kept α per
// block and group), defensively: older runs have no selection, imported files may have anything.
import type { RunResult } from '../core/run-types';
import { alphaMovement } from '../quant/teq-holdout';

export interface TeqSelectionSummary {
  heldOutWindows: number;
  trainWindows: number;
  keptStep: number;
  /** Mean per-token cross-entropy on the held-out windows: of the kept α and of the start. */
  keptLoss?: number;
  startLoss?: number;
  scores: { step: number; loss: number }[];
  /** How far the kept α moved from its start (ones), per block and group: mean and max |ln α|. */
  moved: { block: number; group: string; meanAbsLog: number; maxAbsLog: number }[];
}

const isNum = (v: unknown): v is number => typeof v === 'number';

export function readTeqSelection(run: RunResult | null | undefined): TeqSelectionSummary | null {
  const teq = ((run?.details ?? {}) as { teq?: { selection?: unknown; blocks?: unknown } }).teq;
  const sel = teq?.selection as Record<string, unknown> | undefined;
  if (!sel || !isNum(sel.heldOutWindows) || !isNum(sel.trainWindows) || !isNum(sel.keptStep)) return null;
  const scores = Array.isArray(sel.scores)
    ? ((sel.scores as { step?: unknown; loss?: unknown }[]).filter((s) => isNum(s.step) && isNum(s.loss)) as { step: number; loss: number }[])
    : [];
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
