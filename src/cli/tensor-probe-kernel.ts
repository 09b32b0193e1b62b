// The tensor-core probe's kernel (shaders/tensor-core-probe.wgsl) and its modes: the inner loop
// of the tensor-core matmul with parts taken away, for bench-tensor-probe.ts (and the test that
// compiles every mode on Dawn's null backend).
import type { Gpu } from '../gpu/gpu';
import { defineKernel } from '../gpu/kernel';
import type { Tensor } from '../gpu/tensor';
import type { SubgroupTile } from '../ops/matmul';

const PROBE = defineKernel({
  shader: 'tensor-core-probe',
  uniforms: { steps: 'u32', seed: 'u32' },
  bindings: { out: 'write' },
});

export type ProbeModeName =
  | 'multiplies'
  | '+ fragment loads'
  | '+ copies, one barrier'
  | '+ copies, two barriers'
  | '+ fragment-store copies, two barriers'
  | '+ 4-byte copies, two barriers'
  | '+ rotated 16-byte copies, two barriers';
export interface ProbeMode {
  mode: ProbeModeName;
  REGS: boolean;
  COPY: boolean;
  ONE_BARRIER: boolean;
  FRAG_COPY: boolean;
  U32_COPY: boolean;
  ROT_COPY: boolean;
}
export const PROBE_MODES: ProbeMode[] = [
  { mode: 'multiplies', REGS: true, COPY: false, ONE_BARRIER: false, FRAG_COPY: false, U32_COPY: false, ROT_COPY: false },
  { mode: '+ fragment loads', REGS: false, COPY: false, ONE_BARRIER: false, FRAG_COPY: false, U32_COPY: false, ROT_COPY: false },
  // racy (no barrier before the copy): what a second buffer's overlap would give at most
  { mode: '+ copies, one barrier', REGS: false, COPY: true, ONE_BARRIER: true, FRAG_COPY: false, U32_COPY: false, ROT_COPY: false },
  { mode: '+ copies, two barriers', REGS: false, COPY: true, ONE_BARRIER: false, FRAG_COPY: false, U32_COPY: false, ROT_COPY: false },
  // the copy as whole-fragment stores: whether a copy through fragments would beat 8 f16 stores a vector
  { mode: '+ fragment-store copies, two barriers', REGS: false, COPY: true, ONE_BARRIER: false, FRAG_COPY: true, U32_COPY: false, ROT_COPY: false },
  // the copy as LOAD 'u32' makes it: 2 stores per 4-byte vector, each on 32 banks
  { mode: '+ 4-byte copies, two barriers', REGS: false, COPY: true, ONE_BARRIER: false, FRAG_COPY: false, U32_COPY: true, ROT_COPY: false },
  // the copy as LOAD 'vec8r' makes it: 16-byte vectors, each lane's words in rotated order, 32 banks a store
  { mode: '+ rotated 16-byte copies, two barriers', REGS: false, COPY: true, ONE_BARRIER: false, FRAG_COPY: false, U32_COPY: false, ROT_COPY: true },
];

/** Floats `out` needs for `workgroups` workgroups of tile t (each subgroup stores its accumulators). */
export function probeOutFloats(t: SubgroupTile, workgroups: number): number {
  return workgroups * t.SG_M * t.SG_N * t.FM * t.FN * 256;
}

/** One probe dispatch: `steps` steps of BK along K in each of `workgroups` workgroups. */
export function dispatchProbe(gpu: Gpu, t: SubgroupTile, m: ProbeMode, out: Tensor, steps: number, workgroups: number): void {
  const params = {
    SG_M: t.SG_M,
    SG_N: t.SG_N,
    FM: t.FM,
    FN: t.FN,
    BK: t.BK,
    KSTEPS: t.BK / 16,
    SUBGROUP: gpu.subgroupMatrix!.subgroupSize,
    REGS: m.REGS,
    COPY: m.COPY,
    ONE_BARRIER: m.ONE_BARRIER,
    FRAG_COPY: m.FRAG_COPY,
    U32_COPY: m.U32_COPY,
    ROT_COPY: m.ROT_COPY,
  };
  gpu.dispatch(PROBE, { params, uniforms: { steps, seed: 12345 }, bindings: { out }, workgroups: [workgroups], label: `probe ${m.mode}` });
}
