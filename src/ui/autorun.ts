// Whether a link's autorun=1 may start its run at once, or asks first: a link alone never downloads
// a Hub model, and never starts a run expected to take long (or whose time is not known yet for a
// long-running method) without a click that has seen the expected time.
import type { RunConfig } from '../core/run-types';
import { METHODS } from '../methods/registry';
import { expectedSeconds } from './run-state';

/** Runs expected to take longer than this ask before a link starts them. */
export const AUTORUN_ASK_SECONDS = 60;

export interface AutorunQuestion {
  /** The model the link names. */
  model: string;
  /** It would be downloaded from the Hugging Face Hub first. */
  hub: boolean;
  /** The expected time at the speed this device measured, or null when not known yet. */
  expectedSeconds: number | null;
}

export interface AutorunContext {
  /** Layers of the loaded model, when the model the link names is loaded. */
  layers?: number;
  /** Token-block passes a second measured by the last run on this adapter. */
  rate?: number | null;
  /** Evaluation windows of the text (for evalWindows=0, every window). */
  evalWindows?: number;
}

/** Null: start at once. Otherwise what to ask the person before starting. */
export function autorunQuestion(config: RunConfig, ctx: AutorunContext): AutorunQuestion | null {
  const hub = /^hf:/.test(config.model);
  const seconds = ctx.layers && ctx.rate ? expectedSeconds(config, ctx.layers, ctx.rate, ctx.evalWindows) : null;
  const long = seconds === null ? METHODS[config.method].longRunning : seconds > AUTORUN_ASK_SECONDS;
  if (!hub && !long) return null;
  return { model: config.model, hub, expectedSeconds: seconds };
}
