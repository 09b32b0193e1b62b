// Where the tensor-core matmul's time goes, on this device (bench only; needs f16 subgroup matrices):
// for each tile, TFLOP/s of shaders/tensor-core-probe.wgsl's three cut-down inner loops beside the
// real kernel at 4096³ x·W (same tile, forced): multiplies only (fragments kept in registers), plus
// the fragment loads from workgroup memory, plus the copies into the tiles with one barrier a step
// (racy: the most a second buffer could give) and with the real kernel's two. The
// gap from one line to the next is what that part costs; the first line is the ceiling the tile
// can reach through WGSL on this driver.
//   node dist-node/bench-tensor-probe.mjs [--tiles=wide16,q128b2] [--no-robustness]
import { createNodeGpu, closeNodeGpu } from './node-gpu';
import type { Gpu } from '../gpu/gpu';
import { SUBGROUP_TILES, subgroupTileFits, type SubgroupTile } from '../ops/matmul';
import { SUBGROUP_SWEEP_TILES } from '../ops/matmul-sweep-tiles';
import { matmulRate } from './bench-ceilings';
import { measure } from './kernel-timing';
import { dispatchProbe, probeOutFloats, PROBE_MODES, type ProbeMode } from './tensor-probe-kernel';

const ALL_TILES: Record<string, SubgroupTile> = { ...SUBGROUP_TILES, ...SUBGROUP_SWEEP_TILES };
const DEFAULT_TILES = ['wide16', 'tall8k64', 'q128b2', 'w64x256'];
/** Workgroups a probe dispatch launches (4 per SM of a 132-SM H100/H200) and steps of BK each runs. */
const PROBE_WORKGROUPS = 528;
const PROBE_K = 8192;

async function probeRate(gpu: Gpu, t: SubgroupTile, m: ProbeMode): Promise<number> {
  const out = gpu.tensor([probeOutFloats(t, PROBE_WORKGROUPS)], 'f32', 'probe-out');
  const timing = await measure(gpu, () => dispatchProbe(gpu, t, m, out, PROBE_K / t.BK, PROBE_WORKGROUPS), 200);
  out.release();
  const flops = PROBE_WORKGROUPS * t.SG_M * t.SG_N * t.FM * t.FN * 2 * 16 ** 3 * (PROBE_K / 16);
  return flops / ((timing.gpuMs ?? timing.wallMs) * 1e-3) / 1e12;
}

/** One cell: the rate, or what went wrong. A shader Dawn rejects reports through the uncaptured
 *  errors, not a throw, and its dispatches then do nothing: such a rate would be meaningless. */
async function rateOrError(gpu: Gpu, rate: () => Promise<number>): Promise<string> {
  const before = gpu.uncapturedErrors.length;
  try {
    const r = await rate();
    const errors = gpu.uncapturedErrors.slice(before);
    return errors.length ? `error: ${errors.join(' | ').slice(0, 300)}` : r.toFixed(1);
  } catch (e) {
    return `error: ${String(e).slice(0, 300)}`;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const gpu = await createNodeGpu({ profile: true, enableToggles: args.includes('--no-robustness') ? ['disable_robustness'] : [] });
  if (!gpu.subgroupMatrix) {
    console.log('this device offers no f16 subgroup matrices: nothing to probe');
    return closeNodeGpu();
  }
  const pick = args.find((x) => x.startsWith('--tiles='));
  const names = pick ? pick.slice('--tiles='.length).split(',') : DEFAULT_TILES;
  console.log(
    `${gpu.report.description || gpu.report.device}; timing: ${gpu.timer ? 'timestamp-query' : 'wall only'}; probe: ${PROBE_WORKGROUPS} workgroups, K ${PROBE_K}`,
  );
  const head = ['tile', ...PROBE_MODES.map((m) => m.mode), 'real kernel 4096³ x·W'];
  const lines: string[][] = [];
  for (const name of names) {
    const t = ALL_TILES[name];
    if (!t) throw new Error(`no tile "${name}" (names: ${Object.keys(ALL_TILES).join(', ')})`);
    if (!subgroupTileFits(gpu, t, false, false, false)) {
      lines.push([name, 'does not fit this device']);
      continue;
    }
    const rates: string[] = [];
    for (const m of PROBE_MODES) rates.push(await rateOrError(gpu, () => probeRate(gpu, t, m)));
    rates.push(await rateOrError(gpu, () => matmulRate(gpu, 4096, 'subgroup-matrix', { subgroupTile: t, warmupMs: 200 })));
    lines.push([`${name} (${t.SG_M * t.FM * 16}x${t.SG_N * t.FN * 16}x${t.BK}, ${t.SG_M * t.SG_N} subgroups of ${t.FM}x${t.FN})`, ...rates]);
    // each tile's line as soon as it is measured: a later tile that loses the device keeps these
    console.log(`${lines[lines.length - 1].join(' | ')}`);
  }
  console.log('\nTFLOP/s (GPU time)');
  console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  closeNodeGpu();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
