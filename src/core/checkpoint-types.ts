// The in-progress state of one block that a method hands to a checkpoint (src/engine/checkpoint.ts
// stores it; the methods in src/quant fill it in and read it back).

/** The block being optimized when the checkpoint was taken (saved every N steps inside long blocks). */
export interface BlockInProgress {
  block: number;
  /** Optimizer steps done in this block. */
  step: number;
  /** Hardening rounds done (TesseraQ). */
  round?: number;
  /** Learning rate in use (after any rollback that lowered it). */
  lr?: number;
  /** Trainable parameters and optimizer moments by name, e.g. "scale", "adam.m.scale" (u32: packed masks). */
  tensors: Record<string, Float32Array | Uint32Array>;
}
