// The precision policy of the engine's Linear matmuls (ARCHITECTURE.md, "Precision"): where the
// device offers f16 subgroup matrices (tensor cores), forward x·Wᵀ, dy·W and dyᵀ·x take f16
// operands and sum in f32; everything else stays f32. Each operand class (a Linear role's input,
// weight or output gradient, over all blocks) has an overflow counter: a conversion that would
// overflow f16 is clamped (never Inf), counted, and reported at the next check, from which on that
// class stays f32.
// Where the f16 copies live: each f32 operand is converted at most once per version of its
// contents. The copy is kept in the runtime's registry of derived copies (gpu.copies,
// src/gpu/derived-copies.ts) and reused by every later product that reads the same unchanged
// tensor: a Linear's weight in x·Wᵀ and dy·W and over every evaluation window, its input in x·Wᵀ and
// dyᵀ·x (q, k and v share theirs, as gate and up do), an output gradient in dy·W and dyᵀ·x. When the
// copies die: the runtime drops a copy (its buffer back to the pool) as soon as anything may write
// its source (a dispatch binding it read_write, copy, clear, write) or the source is released;
// least recently used copies go first past HALF_COPIES_MAX_BYTES; all go when the policy changes.
// Inside withF32() the policy is suspended: the statistics, selections, chains and measurements
// that the methods compute once (not their training steps) take the f32 kernels.
import type { Gpu } from '../gpu/gpu';
import { numel, type Tensor } from '../gpu/tensor';
import { castToF16, type HalfOut } from './cast';
import { matmul, matmulPath, type MatmulOptions, type MatmulPath } from './matmul';

const SLOTS = 256;

/** The most bytes of f16 operand copies kept between products (gpu.copies); a larger copy lives for its product only. */
export const HALF_COPIES_MAX_BYTES = 1 << 30;

/** Products smaller than this (2·M·N·K) stay f32 by default: the conversions cost more than the
 * tensor cores save there (stories260K's TesseraQ, products of 4-45 MFLOP, ran 25-70% slower with
 * every Linear in f16). At 2^28 the 113 MFLOP k/v products of a 512-token SmolLM2-135M step stayed
 * f32: 16-34 µs each on the H200 against 16-21 µs on the tensor cores (bench-small-products). */
export const HALF_MIN_FLOPS = 2 ** 26;

/** Attention's score products take the matmul path from this size on (unless the policy converts
 * everything: `--f16 all`): 2^28 was measured for it (a 512-token SmolLM2-135M window reaches it). */
export const ATTENTION_HALF_MIN_FLOPS = 2 ** 28;

/** The score-product size from which attention takes the matmul path under a policy of minFlops. */
export function attentionMinFlops(minFlops: number): number {
  return minFlops === 0 ? 0 : Math.max(minFlops, ATTENTION_HALF_MIN_FLOPS);
}

/** Attention takes its matmul path (ops/attention.ts) only while one score-sized tensor
 * (batch·heads·seqLen² f32) stays under this; its backward holds three of that size at once. */
export const ATTENTION_MATMUL_MAX_SCORES_BYTES = 256 << 20;
/** ...and only for head dims of at least this: below it the tensor cores' 16-deep fragments are
 * mostly padding and the score traffic dominates (not measured to pay; stories260K's D=8 stays flash). */
export const ATTENTION_MATMUL_MIN_HEAD_DIM = 32;

/**
 * The power of two by which a training loss's gradient is multiplied before its backward, and its
 * parameters' gradients divided after (loss scaling, as mixed-precision training does). A mean over
 * `count` tokens puts a block's output gradients around 1e-4 to 1e-7 (stories260K's last hidden
 * state: half under f16's smallest normal, 6.1e-5), where an f16 copy keeps few bits or none;
 * scaled by about `count` they are a per-token sum's, well inside f16's range. A power of two: every
 * product and sum of the f32 backward scales exactly, so the f32 path keeps its bits.
 */
export function lossGradientScale(count: number): number {
  return 2 ** Math.round(Math.log2(Math.max(1, count)));
}

class HalfLinears {
  readonly counts: Tensor;
  private slots = new Map<string, number>();
  /** Operand classes that overflowed f16 once: f32 from then on. */
  readonly fallen = new Set<string>();
  /** Since the counters were last cleared: per class, the other classes its copies served. Their
   * overflow is the counted class's, so they fall with it (q.in, k.in and v.in share one tensor). */
  private served = new Map<string, Set<string>>();
  /** Everything found by check(), in order. */
  readonly reports: string[] = [];
  /** Producers write the f16 copies of their outputs (halfCopyTarget); off: a conversion per copy, as before. */
  producers = true;
  constructor(
    readonly gpu: Gpu,
    readonly minFlops: number,
  ) {
    this.counts = gpu.zeros([SLOTS], 'f16-overflow', 'u32');
  }
  slot(key: string): number {
    let s = this.slots.get(key);
    if (s === undefined) {
      if (this.slots.size >= SLOTS) throw new Error(`precision: more than ${SLOTS} operand classes`);
      this.slots.set(key, (s = this.slots.size));
    }
    return s;
  }
  async check(): Promise<string[]> {
    if (!this.slots.size) return [];
    const c = (await this.counts.read()) as Uint32Array;
    const found: string[] = [];
    for (const [key, s] of this.slots) {
      if (!c[s] || this.fallen.has(key)) continue;
      const also = [...(this.served.get(key) ?? [])].filter((k) => !this.fallen.has(k) && k !== key);
      for (const k of [key, ...also]) this.fallen.add(k);
      const names = [key, ...also].join(', ');
      found.push(
        `f16 overflow: ${c[s]} values of ${key}${also.length ? ` (its f16 copies also served ${also.join(', ')})` : ''} do not fit f16 (|x| > 65504 or not finite); ${names} ${also.length ? 'stay' : 'stays'} f32 from now on`,
      );
    }
    if (found.length) {
      this.gpu.clear(this.counts);
      this.served.clear();
    }
    this.reports.push(...found);
    return found;
  }

  /**
   * The f16 copy of f32 operand `src` for class `key`: the kept one where src has not changed since
   * its conversion, else a new conversion (counted under key) that is kept where it fits. `owned`:
   * the caller releases the copy after its product (it was too large to keep). `inUse`: copies
   * got for the same product, never evicted to make room for this one.
   */
  half(src: Tensor, key: string, inUse: readonly Tensor[] = []): { t: Tensor; kept: Tensor | null; owned: boolean } {
    // each kept copy is tagged with the class under whose counter its conversion was counted
    const entry = this.gpu.copies.lookup(src, 'f16');
    // a copy counted under a class that has overflowed since (clamped values, reported for that
    // class only) is converted again under this one, so that this class's overflow is counted too
    if (entry && !this.fallen.has(entry.tag)) {
      const { copy: kept, tag: counted } = entry;
      if (counted !== key) {
        let s = this.served.get(counted);
        if (!s) this.served.set(counted, (s = new Set()));
        s.add(key);
      }
      return { t: sameShape(kept, src) ? kept : kept.view(src.shape), kept, owned: false };
    }
    const h = castToF16(this.gpu, src, this.counts, undefined, this.slot(key));
    if (!this.keep(src, h, key, inUse)) return { t: h, kept: null, owned: true };
    return { t: h, kept: h, owned: false };
  }

  /** Keeps h, counted under key, as the f16 copy of src's current contents (false: no room, the caller still owns h). */
  keep(src: Tensor, h: Tensor, key: string, inUse: readonly Tensor[] = []): boolean {
    return this.gpu.copies.put(src, 'f16', h, inUse, key);
  }
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

const policies = new WeakMap<Gpu, HalfLinears>();
/** How many withF32() scopes are open on each device. */
const f32Scopes = new WeakMap<Gpu, number>();

/** The policy that products encoded now follow: none inside withF32(). */
function activePolicy(gpu: Gpu): HalfLinears | undefined {
  return f32Scopes.get(gpu) ? undefined : policies.get(gpu);
}

/**
 * Runs fn with the policy suspended on this device: every Linear product it encodes takes the f32
 * kernel and attention the flash path, as with `--no-f16`. For what a method computes once and
 * then relies on (ARCHITECTURE.md, "Precision"): calibration chains and targets, GPTQ's Hessian
 * inputs, AWQ's grid, TEQ's held-out scores, measurements; their rounding errors are not averaged
 * out over steps as a training step's are. The policy itself (threshold, fallen classes, reports)
 * is untouched; without one (CI, `--no-f16`) nothing changes. Scopes nest; an async fn's scope
 * lasts until its promise settles (the engine runs one job per device at a time, so whatever is
 * encoded meanwhile is that job's).
 */
export function withF32<T>(gpu: Gpu, fn: () => T): T {
  f32Scopes.set(gpu, (f32Scopes.get(gpu) ?? 0) + 1);
  const leave = () => {
    const open = f32Scopes.get(gpu)! - 1;
    if (open) f32Scopes.set(gpu, open);
    else f32Scopes.delete(gpu);
  };
  let result: T;
  try {
    result = fn();
  } catch (e) {
    leave();
    throw e;
  }
  if (result instanceof Promise) return result.finally(leave) as T;
  leave();
  return result;
}

/**
 * Turns the half-precision Linear matmuls on where the device has tensor cores (returns whether it
 * did), or off; products under minFlops stay f32 (0: every Linear in f16). `f16Storage`: also on a
 * device with shader-f16 but no tensor cores, whose f16 products take the f16-storage kernel
 * (slower than f32 there: for test:device on such devices, e.g. Mesa's lavapipe, never the default).
 */
export function setHalfLinears(gpu: Gpu, on: boolean, minFlops = HALF_MIN_FLOPS, f16Storage = false): boolean {
  const want = on && (gpu.subgroupMatrix !== null || (f16Storage && gpu.hasF16));
  const had = policies.get(gpu);
  if (had && (!want || had.minFlops !== minFlops)) {
    had.counts.release();
    policies.delete(gpu);
    // the copies' overflow was counted by that policy
    gpu.copies.clear();
    gpu.copies.maxBytes = 0;
  }
  if (want && !policies.has(gpu)) {
    policies.set(gpu, new HalfLinears(gpu, minFlops));
    gpu.copies.maxBytes = HALF_COPIES_MAX_BYTES;
  }
  return want;
}

/** The path the engine's Linear matmuls take on this device. */
export function linearPath(gpu: Gpu): MatmulPath {
  return policies.has(gpu) ? matmulPath(gpu, 'f16') : 'f32';
}

/** Which path each kernel family takes, for the CLI and the studio's GPU card. */
export function kernelPaths(gpu: Gpu): Record<string, string> {
  const sg = gpu.subgroupMatrix;
  const lin = linearPath(gpu);
  const minFlops = policies.get(gpu)?.minFlops ?? 0;
  return {
    'Linear matmuls':
      lin === 'f32'
        ? 'f32'
        : `${lin === 'subgroup-matrix' ? `tensor cores (f16 × f16 → f32, ${sg!.M}×${sg!.N}×${sg!.K})` : 'f16 storage, f32 math'}${minFlops ? `, products of 2^${Math.log2(minFlops).toFixed(0)} FLOP and more (f32 below)` : ''}`,
    attention:
      lin === 'subgroup-matrix'
        ? `batched matmuls on the tensor cores (f16 × f16 → f32; softmax, lse, delta and dS math f32) for head dims of ${ATTENTION_MATMUL_MIN_HEAD_DIM} and more where the scores take up to ${ATTENTION_MATMUL_MAX_SCORES_BYTES >> 20} MiB${minFlops ? ` and their product 2^${Math.log2(attentionMinFlops(minFlops)).toFixed(0)} FLOP or more` : ''}; flash kernels (f32) otherwise`
        : 'flash kernels (f32)',
    'norms, activations, residual stream': 'f32',
    'quantizer, Adam, losses': 'f32',
  };
}

/** The policy's minimum product size (2·M·N·K FLOP) for f16, or null where the policy is off (or inside withF32()). */
export function halfMinFlops(gpu: Gpu): number | null {
  return activePolicy(gpu)?.minFlops ?? null;
}

/** Where an op converts its own matmul operands to f16 (attention's layout copies and softmax
 * kernels write f16 directly): the policy's overflow counters and the slot of operand class `key`,
 * or null where that class stays f32 (the policy is off or suspended, or the class overflowed once). */
export function halfOperand(gpu: Gpu, key: string): { counts: Tensor; slot: number } | null {
  const p = activePolicy(gpu);
  if (!p || p.fallen.has(key)) return null;
  return { counts: p.counts, slot: p.slot(key) };
}

/** Where a kernel writes the f16 copy of its own f32 output (HALF_OUT variants): the copy to write,
 * counted (f16Counted, shaders/f16-overflow.wgsl) at counts[slot] under operand class key. */
export interface HalfCopyTarget extends HalfOut {
  key: string;
}

/**
 * A producer's f16 copy of its f32 output (of `shape`), for the Linear product that reads it next
 * as operand class `key` (2·M·N·K = flops): the kernel that computes the output writes the copy in the same
 * pass, the same value shaders/cast-f16.wgsl would give (f16Counted of the stored f32), so the
 * product finds it kept and no conversion is dispatched. Null where that product stays f32 (no
 * policy, withF32, a class that overflowed, under the threshold): the producer writes out alone.
 * After the producer's dispatch, keepHalfCopy() registers the copy. `into`: a buffer the caller
 * keeps, lent (Tensor.borrow: the registry's drop gives nothing back), so that a producer rewriting
 * its output step after step writes the same copy buffer and its bind groups are found again.
 */
export function halfCopyTarget(gpu: Gpu, shape: readonly number[], key: string, flops: number, into?: Tensor): HalfCopyTarget | null {
  const p = activePolicy(gpu);
  if (!p || !p.producers || p.fallen.has(key) || flops < p.minFlops || !gpu.copies.maxBytes) return null;
  if (into && (into.dtype !== 'f16' || into.size !== numel(shape))) throw new Error(`halfCopyTarget ${key}: the copy must be f16 of ${numel(shape)} elements`);
  return { copy: into ?? gpu.tensor([...shape], 'f16', `${key}.f16`), counts: p.counts, slot: p.slot(key), key };
}

/** Targets of one pass that writes several copies: all of them, or null where any is (the others are given back). */
export function allHalfCopies<T extends HalfOut>(targets: readonly (T | null)[]): T[] | null {
  if (targets.every((t) => t !== null)) return targets as T[];
  targets.forEach((t) => t?.copy.release());
  return null;
}

/** Turns the producers' own f16 copies (halfCopyTarget) off or on again under the current policy: the
 * same values either way (test-device checks it bit for bit), one conversion dispatch per copy when off. */
export function setHalfCopyProducers(gpu: Gpu, on: boolean): void {
  const p = policies.get(gpu);
  if (p) p.producers = on;
}

/** Whether producers write their outputs' f16 copies under the current policy (setHalfCopyProducers). */
export function halfCopyProducersOn(gpu: Gpu): boolean {
  return activePolicy(gpu)?.producers ?? false;
}

/** Registers the copy a producer wrote (halfCopyTarget) as out's f16 copy; drops it where there is no room. */
export function keepHalfCopy(gpu: Gpu, out: Tensor, target: HalfCopyTarget | null): void {
  if (!target) return;
  const p = policies.get(gpu);
  if (!p || !p.keep(out, target.copy, target.key)) target.copy.release();
}

/** Reads the overflow counters (a GPU round trip): new reports, each also kept in halfReports(). */
export async function checkHalfOverflow(gpu: Gpu): Promise<string[]> {
  return (await policies.get(gpu)?.check()) ?? [];
}

export function halfReports(gpu: Gpu): readonly string[] {
  return policies.get(gpu)?.reports ?? [];
}

/**
 * A Linear's matmul under the policy: f32 operands as given, or both as f16 copies (converted here,
 * or kept from an earlier product while the tensor is unchanged: see the header; keys name their
 * operand classes for the overflow guard). Same options and result as matmul().
 */
export function linearMatmul(gpu: Gpu, a: Tensor, keyA: string, b: Tensor, keyB: string, opts: MatmulOptions = {}): Tensor {
  const p = activePolicy(gpu);
  const rank = (t: Tensor) => t.shape.length;
  const outs = (opts.transA ? a.shape[rank(a) - 1] : a.shape[rank(a) - 2]) * (opts.transB ? b.shape[rank(b) - 2] : b.shape[rank(b) - 1]);
  const k = opts.transA ? a.shape[rank(a) - 2] : a.shape[rank(a) - 1];
  const batch = Math.max(rank(a) === 3 ? a.shape[0] : 1, rank(b) === 3 ? b.shape[0] : 1);
  // small products (and outputs under one 16x16 fragment) gain nothing from two conversion passes
  const small = outs * batch < 256 || 2 * outs * batch * k < (p?.minFlops ?? 0);
  // labelled 'linear ...' so that the benchmark tells Linear products from the other matmuls
  const o = { ...opts, role: 'linear' };
  if (!p || p.fallen.has(keyA) || p.fallen.has(keyB) || small || a.dtype !== 'f32' || b.dtype !== 'f32') return matmul(gpu, a, b, o);
  const ah = p.half(a, keyA);
  const bh = p.half(b, keyB, ah.kept ? [ah.kept] : []);
  const out = matmul(gpu, ah.t, bh.t, o);
  // later users of the buffers are ordered after these dispatches
  if (ah.owned) ah.t.release();
  if (bh.owned) bh.t.release();
  return out;
}
