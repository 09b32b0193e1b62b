// A training step produced a non-finite loss or parameter: the block is rolled back and retried
// with a smaller learning rate; a second failure stops the run with this error.
import { EngineError } from '../gpu/errors';
import type { Architecture, WeightSource } from '../core/model-config';
import { linearName, linearRoles, normNames } from '../core/tensor-names';

export class NonFiniteError extends EngineError {
  constructor(
    readonly block: number,
    readonly layer: string,
    detail: string,
  ) {
    super('bad-input', `Training diverged in block ${block}, layer ${layer}: ${detail}.`);
  }
}

/** Retries once with a tenth of the learning rate, then gives up with the block and layer named. */
export const RETRY_LR_FACTOR = 0.1;

export function finalDivergence(e: NonFiniteError): EngineError {
  return new EngineError(
    'bad-input',
    `${e.message} Rolled back and retried with a tenth of the learning rate, and it diverged again. ` +
      `Check the model's weights and the calibration text for non-finite values, or lower the learning rate.`,
  );
}

/** How many values of `xs` are NaN or ±Inf. */
export function countNonFinite(xs: ArrayLike<number>): number {
  let bad = 0;
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) bad++;
  return bad;
}

/**
 * The first tensor of the block in the source model (Linears then norms) that holds non-finite
 * values. Files are checked at load, so this finds weights that went bad afterwards; it lets a
 * divergence name the tensor at fault instead of the first Linear the gradients spread NaN to.
 */
export async function sourceBlockFault(
  source: WeightSource,
  arch: Architecture,
  block: number,
): Promise<{ layer: string; name: string; count: number } | null> {
  const norms = normNames(arch, block);
  const candidates: [string, string][] = [
    ...linearRoles(arch).flatMap((role): [string, string][] => [
      [role, `${linearName(arch, block, role)}.weight`],
      [role, `${linearName(arch, block, role)}.bias`],
    ]),
    ...[norms.attn, norms.mlp].flatMap((n): [string, string][] => [
      [n, `${n}.weight`],
      [n, `${n}.bias`],
    ]),
  ];
  for (const [layer, name] of candidates) {
    if (!source.shapes.has(name)) continue;
    const count = countNonFinite(await source.get(name));
    if (count) return { layer, name, count };
  }
  return null;
}

/** The divergence `e`, blamed on the source tensor of its block that holds non-finite values, if one does. */
export async function blameSourceWeights(e: NonFiniteError, detail: string, source: WeightSource, arch: Architecture): Promise<NonFiniteError> {
  const fault = await sourceBlockFault(source, arch, e.block);
  if (!fault) return e;
  return new NonFiniteError(
    e.block,
    fault.layer,
    `${detail}: the model's ${fault.name} holds ${fault.count} non-finite value${fault.count === 1 ? '' : 's'} (NaN or Inf)`,
  );
}
