// TEQ, then TesseraQ on the TEQ-folded model (src/quant/tesseraq-methods.ts): TEQ's settings and
// TesseraQ's, both phases' memory.
import { runTeqThenTesseraq } from '../../quant/tesseraq-methods';
import { TEQ_FIELDS, TEQ_SETTINGS, teqPartials, teqMemory, teqPaper, teqQuick, teqSummary } from '../teq';
import { TESSERAQ_FIELDS, TESSERAQ_SETTINGS, tesseraqMemory, tesseraqPaper, tesseraqQuick, tesseraqSummary } from '../tesseraq';
import type { MethodDescriptor } from '../types';

export const teqTesseraq: MethodDescriptor = {
  name: 'teq+tesseraq',
  label: 'TEQ → TesseraQ',
  description: 'TEQ scales first, then TesseraQ rounding on the transformed weights.',
  phaseLabel: 'TEQ, then TesseraQ',
  fields: [...TEQ_FIELDS, ...TESSERAQ_FIELDS],
  settings: [TEQ_SETTINGS, TESSERAQ_SETTINGS],
  presets: {
    quick: (ctx) => ({ ...teqQuick(ctx), ...tesseraqQuick(ctx) }),
    paper: (ctx) => Object.assign(teqPaper(ctx), tesseraqPaper(ctx)),
  },
  resumable: true,
  longRunning: true,
  run: runTeqThenTesseraq,
  // TesseraQ's AWQ initialisation runs on top of TEQ whatever teqInit says
  memory: (m) => ({ phases: { teq: teqMemory(m, true), tesseraq: tesseraqMemory(m) }, tensors: [teqPartials(m)] }),
  summary: (c) => teqSummary(c) + tesseraqSummary(c),
  inspect: { scales: 'trained' },
};
