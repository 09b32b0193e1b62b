// Loss curves split by what they measure: TEQ's (block MSE or LM loss) and TesseraQ's (block
// reconstruction loss) differ in scale and meaning, so a TEQ → TesseraQ run draws one chart for
// each, on its own axis, under a title that says which, instead of ten series on one axis.
export interface NamedSeries {
  label: string;
}

export interface LossGroup<S extends NamedSeries> {
  key: 'teq' | 'tesseraq' | 'other';
  title: string;
  series: S[];
}

const TITLES: Record<LossGroup<NamedSeries>['key'], string> = {
  teq: 'TEQ: training loss per step',
  tesseraq: 'TesseraQ: block reconstruction loss per step',
  other: 'Loss per step',
};

function keyOf(label: string): LossGroup<NamedSeries>['key'] {
  if (/^TEQ\b/.test(label)) return 'teq';
  if (/^TesseraQ\b/.test(label)) return 'tesseraq';
  return 'other';
}

/** Groups in a fixed order (TEQ, TesseraQ, the rest); each keeps its series in their order. */
export function groupLosses<S extends NamedSeries>(series: S[]): LossGroup<S>[] {
  const keys = ['teq', 'tesseraq', 'other'] as const;
  return keys.map((key) => ({ key, title: TITLES[key], series: series.filter((s) => keyOf(s.label) === key) })).filter((g) => g.series.length > 0);
}
