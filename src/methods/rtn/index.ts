// Round to nearest: each group of input channels on its own min/max grid, no calibration.
import { runRtn } from '../../quant/methods';
import type { MethodDescriptor } from '../types';

export const rtn: MethodDescriptor = {
  name: 'rtn',
  label: 'RTN',
  description: 'Round to nearest per group of input channels. No calibration; the baseline to beat.',
  phaseLabel: 'RTN quantization',
  fields: [],
  settings: [],
  presets: {},
  resumable: true,
  longRunning: false,
  run: runRtn,
  // one block's weights and its quantized copy
  memory: (m) => ({ phases: { rtn: m.globalsBytes + 2 * m.blockBytes } }),
  inspect: { scales: 'none' },
};
