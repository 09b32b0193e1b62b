// TEQ's trainer: the trainable α of every group of some blocks packed into one buffer, with its Adam
// moments and gradient, the blocks' effective weights FQ(W·α)/α, dα from their gradients, the
// update and the fold of α into the weights (arXiv 2310.10944). quant/teq.ts runs it with the block
// and the LM loss.
import type { Gpu } from '../gpu/gpu';
import { spanRows, type Tensor } from '../gpu/tensor';
import type { ModelConfig } from '../core/model-config';
import type { LinearRole } from '../core/tensor-names';
import type { QuantSpec } from '../core/quant-spec';
import { linearOf, sideBySideTensors, SIDE_BY_SIDE_ROLES, type BlockWeights } from '../model/block-weights';
import { blockBackward, releaseActivations, type BatchShape, type BlockActivations } from '../model/block';
import { quantizeWeight } from '../ops/quantize';
import { clampMin, teqColSum, teqColSumTable, teqEffectiveGroup, teqEffectiveHalfFits, teqGradGroup, teqChunks, type TeqEstimator } from '../ops/teq';
import { allHalfCopies, halfCopyTarget, keepHalfCopy } from '../ops/precision';
import { adamStep } from '../ops/adam';
import { scaleNext, scalePrev } from './awq';
import { teqGroups, type TeqGroup } from './teq-groups';

export const TEQ_BETAS = [0.9, 0.9] as const;
export const ALPHA_MIN = 1e-5;

/** Where one group's α and dα's column sums a chunk sit in the packed buffers of a TeqTrainer. */
interface PackedGroup {
  group: TeqGroup;
  offset: number;
  /** Offset in its block's buffer of column sums a chunk of rows (ops/teq.ts teqGradGroup). */
  partialOffset: number;
  /** The members' rows stacked. */
  rows: number;
}

/**
 * The trainable α of every group of some blocks, packed into one buffer (with its Adam moments and
 * gradient), and the blocks' effective weights in tensors that live as long as the trainer. A step
 * costs one dispatch per group for the effective weights, one per group for dα's column sums over
 * chunks of rows, one per block to add up the chunks and two for Adam and the clamp of every α at
 * once. The chunks' sums are at most a sixteenth of the grouped weights (per-channel groups of wide
 * rows), so each block has its own buffer.
 */
export class TeqTrainer {
  readonly alpha: Tensor;
  private m: Tensor;
  private v: Tensor;
  private grad: Tensor;
  private partials: Tensor[];
  private tables: Tensor[];
  readonly groups: PackedGroup[][];
  private effective: BlockWeights[];
  private owned: Tensor[] = [];
  private copyBuffers = new Map<string, Tensor>();

  constructor(
    private gpu: Gpu,
    private cfg: ModelConfig,
    private blocks: BlockWeights[],
    private spec: QuantSpec,
  ) {
    let size = 0;
    const partialSizes: number[] = [];
    this.groups = blocks.map((w) => {
      let partialSize = 0;
      const groups = teqGroups(cfg).map((group) => {
        const rows = group.members.reduce((a, r) => a + linearOf(w, r).weight.shape[0], 0);
        const g: PackedGroup = { group, offset: size, partialOffset: partialSize, rows };
        size += group.size;
        partialSize += teqChunks(rows, spec, group.size) * group.size;
        return g;
      });
      partialSizes.push(partialSize);
      return groups;
    });
    const own = (t: Tensor) => (this.owned.push(t), t);
    this.alpha = own(gpu.upload(new Float32Array(Math.max(1, size)).fill(1), [Math.max(1, size)], 'teq.alpha'));
    this.m = own(gpu.zeros([Math.max(1, size)], 'teq.adam-m'));
    this.v = own(gpu.zeros([Math.max(1, size)], 'teq.adam-v'));
    this.grad = own(gpu.zeros([Math.max(1, size)], 'teq.dalpha'));
    this.partials = partialSizes.map((n, b) => own(gpu.tensor([Math.max(1, n)], 'f32', `teq.partials.${b}`)));
    this.tables = this.groups.map((groups, b) => {
      const table = teqColSumTable(
        groups.map((g) => ({ offset: g.partialOffset, rows: teqChunks(g.rows, spec, g.group.size), cols: g.group.size, outOffset: g.offset })),
      );
      return own(gpu.upload(table.length ? table : new Uint32Array(5), [Math.max(5, table.length)], `teq.colsum-table.${b}`));
    });
    // Linears outside every group keep α = 1: their effective weight is fixed, computed once.
    this.effective = blocks.map((w, b) => {
      const linears: BlockWeights['linears'] = {};
      const stacked = this.sideBySide(w, b);
      for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
        const grouped = this.groups[b].some((g) => g.group.members.includes(role));
        const weight = grouped
          ? (stacked.get(role) ?? gpu.tensor(l.weight.shape, 'f32', `teq.eff.${role}`))
          : quantizeWeight(gpu, l.weight, spec, { codes: false, dequant: true }).deq!;
        own(weight);
        linears[role] = { weight, bias: l.bias };
      }
      return { ...w, linears };
    });
  }

  /**
   * The effective weights of block b's groups that the block runs as one product (SIDE_BY_SIDE_ROLES,
   * a whole α group, no biases) in one buffer side by side, by role; none where the rows would not
   * start at the device's binding alignment.
   */
  private sideBySide(w: BlockWeights, b: number): Map<LinearRole, Tensor> {
    const out = new Map<LinearRole, Tensor>();
    for (const roles of SIDE_BY_SIDE_ROLES) {
      const ls = roles.map((r) => w.linears[r]);
      const isGroup = this.groups[b].some((g) => g.group.members.join() === roles.join());
      if (!isGroup || ls.some((l) => !l || l.bias)) continue;
      const parts = sideBySideTensors(
        this.gpu,
        ls.map((l) => l!.weight.shape),
        roles.map((r) => `teq.eff.${r}`),
      );
      parts?.forEach((t, i) => out.set(roles[i], t));
    }
    return out;
  }

  /**
   * Recomputes the effective weights FQ(W·α)/α of every grouped Linear from the current α. For a
   * training step over `tokens` tokens the same pass writes their f16 copies where the step's
   * products read them in f16 (ops/precision.ts, halfCopyTarget); 0: no step follows (scores).
   */
  refresh(tokens = 0): void {
    const gpu = this.gpu;
    // the weights' copies leave half the copies' room to the step's activations and gradients (past
    // it, copies made here would be evicted before their products and converted again there)
    let room = gpu.copies.maxBytes / 2;
    this.blocks.forEach((w, b) => {
      for (const g of this.groups[b]) {
        const members = g.group.members;
        const weights = members.map((r) => linearOf(w, r).weight);
        const outs = members.map((r) => linearOf(this.effective[b], r).weight);
        const bytes = outs.reduce((a, o) => a + 2 * o.size, 0);
        const copies = tokens && bytes <= room && teqEffectiveHalfFits(gpu, 1);
        // weights side by side are read as one stacked weight: one copy of it, written through each member's rows
        const stacked = outs.length > 1 ? spanRows(outs) : null;
        const stackedTarget =
          copies && stacked
            ? halfCopyTarget(gpu, stacked.shape, `${members[0]}.weight`, 2 * tokens * stacked.size, this.copyBuffer(`${b}.${g.offset}`, stacked.shape))
            : null;
        const targets = stackedTarget
          ? stackedTarget.copy.rowViews(outs.map((o) => o.shape[0])).map((copy) => ({ ...stackedTarget, copy }))
          : copies && !stacked
            ? allHalfCopies(
                members.map((r, i) =>
                  halfCopyTarget(gpu, outs[i].shape, `${r}.weight`, 2 * tokens * outs[i].size, this.copyBuffer(`${b}.${g.offset}.${r}`, outs[i].shape)),
                ),
              )
            : null;
        if (targets) room -= bytes;
        // with the copies a group may bind more storage buffers than the device allows: then it goes
        // in parts of members (each (row, group) is computed on its own: the same values)
        let per = members.length;
        while (targets && per > 1 && !teqEffectiveHalfFits(gpu, per)) per--;
        for (let i = 0; i < members.length; i += per) {
          const part = (t: readonly Tensor[]) => t.slice(i, i + per);
          teqEffectiveGroup(gpu, part(weights), this.alpha, g.offset, part(outs), this.spec, targets && targets.slice(i, i + per));
        }
        if (stacked) keepHalfCopy(gpu, stacked, stackedTarget);
        else outs.forEach((o, i) => keepHalfCopy(gpu, o, targets?.[i] ?? null));
      }
    });
  }

  /**
   * The f16 buffer that holds the copy of effective weights `key` at every refresh, lent to the
   * registry of kept copies (Tensor.borrow): the same buffer every step, so the products that read
   * it find their bind groups again (pooled copies came back as other buffers, step after step).
   */
  private copyBuffer(key: string, shape: readonly number[]): Tensor {
    let t = this.copyBuffers.get(key);
    if (!t) this.copyBuffers.set(key, (t = this.gpu.tensor(shape, 'f16', `teq.eff.f16.${key}`)));
    return t.borrow();
  }

  /** The Linears of block `b` whose weight gradients feed some α (the others' gradients are not needed). */
  trainedRoles(b: number): LinearRole[] {
    return this.groups[b].flatMap((g) => g.group.members);
  }

  /** Block `b` with every Linear's weight replaced by its effective weight (owned by the trainer). */
  effectiveBlock(b: number): BlockWeights {
    return this.effective[b];
  }

  /** dα's column sums a chunk of block `b` from its effective-weight gradients (added up in update()). */
  contribute(b: number, dW: Partial<Record<LinearRole, Tensor>>, estimator: TeqEstimator): void {
    const w = this.blocks[b];
    for (const g of this.groups[b]) {
      const members = g.group.members;
      teqGradGroup(
        this.gpu,
        members.map((r) => linearOf(w, r).weight),
        members.map((r) => dW[r]!),
        this.alpha,
        g.offset,
        this.partials[b],
        g.partialOffset,
        this.spec,
        estimator,
      );
    }
  }

  /**
   * Every block's backward from the last with its share of dα, on the activations that
   * blocksForward kept with the effective weights: dy (the last block's output gradient), each
   * block's gradients and the activations are released here.
   */
  backward(saved: BlockActivations[], dy: Tensor, shape: BatchShape, estimator: TeqEstimator): void {
    let dh = dy;
    for (let b = saved.length - 1; b >= 0; b--) {
      const g = blockBackward(this.gpu, this.cfg, this.effective[b], saved[b], dh, shape, this.trainedRoles(b));
      this.contribute(b, g.dW, estimator);
      Object.values(g.dW).forEach((t) => t?.release());
      dh.release();
      dh = g.dx;
      releaseActivations(saved[b], true);
    }
    dh.release();
  }

  /** dα of every group, then one Adam step and the clamp on all α at once; `gradScale` undoes the loss's (lossGradientScale). */
  update(lr: number, step: number, gradScale = 1): void {
    // each block's groups own disjoint parts of grad
    this.blocks.forEach((_, b) => teqColSum(this.gpu, this.tables[b], this.partials[b], this.grad));
    adamStep(this.gpu, this.alpha, this.grad, this.m, this.v, { lr, beta1: TEQ_BETAS[0], beta2: TEQ_BETAS[1], eps: 1e-8, weightDecay: 0, step, gradScale });
    clampMin(this.gpu, this.alpha, ALPHA_MIN);
  }

  /** α and its Adam moments, what a rollback or a checkpoint of the training keeps. */
  async readState(): Promise<Record<string, Float32Array>> {
    const [alpha, m, v] = await Promise.all([this.alpha.readF32(), this.m.readF32(), this.v.readF32()]);
    return { alpha, 'adam.m': m, 'adam.v': v };
  }

  writeState(state: Record<string, Float32Array>): void {
    for (const [name, t] of [
      ['alpha', this.alpha],
      ['adam.m', this.m],
      ['adam.v', this.v],
    ] as const) {
      const values = state[name];
      if (!values || values.length !== t.size) throw new Error(`TEQ checkpoint: ${name} has ${values?.length ?? 'no'} values, expected ${t.size}`);
      this.gpu.write(t, values);
    }
  }

  /** For divergence messages: the first Linear whose fp weight is non-finite, else the first group whose α is. */
  async firstNonFinite(): Promise<{ block: number; layer: string } | null> {
    for (const [b, w] of this.blocks.entries()) {
      for (const [role, l] of Object.entries(w.linears) as [LinearRole, NonNullable<BlockWeights['linears'][LinearRole]>][]) {
        if (!(await l.weight.readF32()).every(Number.isFinite)) return { block: b, layer: role };
      }
    }
    const alpha = await this.alpha.readF32();
    for (const [b, groups] of this.groups.entries()) {
      const g = groups.find((x) => !alpha.subarray(x.offset, x.offset + x.group.size).every(Number.isFinite));
      if (g) return { block: b, layer: g.group.name };
    }
    return null;
  }

  /** α per group of block `b`, by group name (one read for the whole trainer is shared). */
  static snapshot(all: Float32Array, groups: PackedGroup[]): Record<string, number[]> {
    return Object.fromEntries(groups.map((g) => [g.group.name, Array.from(all.subarray(g.offset, g.offset + g.group.size))]));
  }

  /** Folds block `b`'s α into its fp weights (the preceding op's outputs divided, members' columns multiplied). */
  fold(b: number): void {
    for (const g of this.groups[b]) {
      const a = this.gpu.tensor([g.group.size], 'f32', `alpha ${g.group.name}`);
      this.gpu.copy(this.alpha, a, g.offset, 0, g.group.size);
      foldGroup(this.gpu, this.blocks[b], g.group, a);
      a.release();
    }
  }

  release(): void {
    // the weights first: their kept copies (lent from copyBuffers) leave the registry with them
    this.owned.forEach((t) => t.release());
    this.owned = [];
    this.copyBuffers.forEach((t) => t.release());
    this.copyBuffers.clear();
  }
}

/** Folds α: the preceding op's output channels divided by α, the members' columns multiplied. */
export function foldGroup(gpu: Gpu, w: BlockWeights, group: TeqGroup, alpha: Tensor): void {
  const prev = 'norm' in group.prev ? (group.prev.norm === 'attn' ? w.attnNorm : w.mlpNorm) : linearOf(w, group.prev.linear);
  scalePrev(gpu, prev, alpha, !('norm' in group.prev));
  scaleNext(
    gpu,
    group.members.map((r) => linearOf(w, r)),
    alpha,
  );
}
