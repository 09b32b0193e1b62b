// float64 twins of the cross-entropy kernels (src/ops/cross-entropy.ts). logits is [tokens, vocab];
// a target of IGNORE_TARGET contributes zero loss and zero gradient.
import { logsumexpRowsRef } from './softmax';

type Vec = ArrayLike<number>;
export const IGNORE_TARGET = 0xffffffff;

/** Per-token loss (lse - logit[target], 0 when ignored) and the row log-sum-exp. */
export function crossEntropyRef(logits: Vec, tokens: number, vocab: number, targets: ArrayLike<number>): { loss: Float64Array; lse: Float64Array } {
  if (targets.length !== tokens) throw new Error(`crossEntropyRef: ${targets.length} targets for ${tokens} tokens`);
  const lse = logsumexpRowsRef(logits, tokens, vocab);
  const loss = new Float64Array(tokens);
  for (let t = 0; t < tokens; t++) {
    const y = targets[t];
    if (y === IGNORE_TARGET) continue;
    if (y >= vocab) throw new Error(`crossEntropyRef: target ${y} out of range`);
    loss[t] = lse[t] - logits[t * vocab + y];
  }
  return { loss, lse };
}

/** d(scale * sum(loss))/dlogits = scale * (softmax - onehot); zero rows for ignored targets. */
export function crossEntropyBackwardRef(logits: Vec, tokens: number, vocab: number, targets: ArrayLike<number>, lse: Vec, scale: number): Float64Array {
  const out = new Float64Array(tokens * vocab);
  for (let t = 0; t < tokens; t++) {
    const y = targets[t];
    if (y === IGNORE_TARGET) continue;
    for (let v = 0; v < vocab; v++) {
      const p = Math.exp(logits[t * vocab + v] - lse[t]);
      out[t * vocab + v] = scale * (p - (v === y ? 1 : 0));
    }
  }
  return out;
}
