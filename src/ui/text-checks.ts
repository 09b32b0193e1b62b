// Whether the chosen text is long enough for the chosen calibration and evaluation, said before
// a run starts (the engine would fail later with the same rule).
import type { RunConfig } from '../core/run-types';
import type { ModelSummary, TextStats } from '../worker/protocol';

export interface TextPlan {
  /** Non-overlapping evaluation windows the evaluation part holds. */
  windowsAvailable: number;
  windowsUsed: number;
  /** Scored tokens: every window scores positions 1..seqLen-1. */
  scoredTokens: number;
  calibTokensDrawn: number;
  problems: string[];
  warnings: string[];
}

export function planText(
  config: Pick<RunConfig, 'calibSamples' | 'seqLen' | 'evalWindows'>,
  stats: TextStats,
  model?: Pick<ModelSummary, 'maxPositions'> | null,
): TextPlan {
  const { seqLen, calibSamples, evalWindows } = config;
  const windowsAvailable = Math.floor(stats.evalTokens / seqLen);
  const windowsUsed = evalWindows > 0 ? Math.min(evalWindows, windowsAvailable) : windowsAvailable;
  const problems: string[] = [];
  const warnings: string[] = [];
  if (model && seqLen > model.maxPositions) {
    problems.push(`Sequence length ${seqLen} is longer than the model's context of ${model.maxPositions} tokens.`);
  }
  if (stats.calibTokens < seqLen + 1) {
    problems.push(`The calibration part has ${stats.calibTokens} tokens, fewer than one sample of ${seqLen} (+1). Use more text or a shorter sequence length.`);
  }
  if (windowsAvailable < 1) {
    problems.push(`The evaluation part has ${stats.evalTokens} tokens, fewer than one window of ${seqLen}. Use more text or a shorter sequence length.`);
  } else if (evalWindows > windowsAvailable) {
    warnings.push(`Only ${windowsAvailable} evaluation windows fit in the text; ${evalWindows} were asked for.`);
  }
  const calibTokensDrawn = calibSamples * seqLen;
  if (problems.length === 0 && calibTokensDrawn > stats.calibTokens) {
    warnings.push(`${calibSamples} samples × ${seqLen} tokens is more than the ${stats.calibTokens} calibration tokens: samples will overlap.`);
  }
  warnings.push(...(stats.warnings ?? []));
  return { windowsAvailable, windowsUsed, scoredTokens: windowsUsed * (seqLen - 1), calibTokensDrawn, problems, warnings };
}
