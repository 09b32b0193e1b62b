// The full-precision baseline: no quantization, only the fp32 perplexity every run is compared with.
import type { MethodDescriptor } from '../types';

export const fp: MethodDescriptor = {
  name: 'fp',
  label: 'FP32',
  description: 'No quantization: the fp32 model’s perplexity, the baseline every run is compared with.',
  fields: [],
  settings: [],
  presets: {},
  resumable: false,
  longRunning: false,
  inspect: { scales: 'none' },
};
