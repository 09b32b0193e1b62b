// AWQ: per-channel scales searched on calibration activations, then round to nearest.
import { runAwq } from '../../quant/methods';
import { capSeq, type MethodDescriptor } from '../types';

export const awq: MethodDescriptor = {
  name: 'awq',
  label: 'AWQ',
  description: 'Activation-aware scaling: per-channel scales searched on calibration activations, then round to nearest.',
  phaseLabel: 'AWQ scale search',
  fields: [],
  settings: [],
  presets: { paper: (ctx) => ({ calibSamples: 128, seqLen: capSeq(512, ctx) }) },
  resumable: true,
  longRunning: true,
  run: runAwq,
  memory: (m) => ({ phases: { awq: m.globalsBytes + m.awqCore } }),
  bench: (s) => ({ awqSeconds: s.awq }),
  inspect: { scales: 'searched' },
};
