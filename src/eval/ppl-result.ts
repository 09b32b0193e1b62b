// A perplexity is exp(mean NLL); a NaN or infinite one is no result: the run fails with a message
// saying how many tokens had a non-finite loss, instead of finishing with "NaN" as its number.
import { EngineError } from '../gpu/errors';

export class NonFinitePerplexityError extends EngineError {
  constructor(
    readonly ppl: number,
    readonly nonFiniteTokens: number,
    readonly scoredTokens: number,
  ) {
    super(
      'bad-input',
      `The perplexity is ${ppl} (not a finite number): ${nonFiniteTokens} of ${scoredTokens} scored tokens had a ${nonFiniteTokens ? 'NaN or infinite' : 'finite but overflowing'} loss. ` +
        "The model produces non-finite logits on this text: check its weights (a diverged or corrupt checkpoint) and, for a quantized model, the method's settings.",
    );
    this.name = 'NonFinitePerplexityError';
  }
}

/** exp(nll / scored), or the error above when that is not finite. */
export function perplexityOf(nll: number, scored: number, nonFiniteTokens: number): number {
  const ppl = Math.exp(nll / scored);
  if (!Number.isFinite(ppl)) throw new NonFinitePerplexityError(ppl, nonFiniteTokens, scored);
  return ppl;
}
