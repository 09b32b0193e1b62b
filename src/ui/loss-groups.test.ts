import { describe, expect, it } from 'vitest';
import { groupLosses } from './loss-groups';

describe('groupLosses', () => {
  it('splits a TEQ then TesseraQ run into two charts with distinct titles', () => {
    const labels = ['TEQ block 0', 'TEQ block 1', 'TesseraQ block 0', 'TesseraQ block 1'];
    const groups = groupLosses(labels.map((label) => ({ label })));
    expect(groups.map((g) => [g.key, g.title, g.series.map((s) => s.label)])).toEqual([
      ['teq', 'TEQ: training loss per step', ['TEQ block 0', 'TEQ block 1']],
      ['tesseraq', 'TesseraQ: block reconstruction loss per step', ['TesseraQ block 0', 'TesseraQ block 1']],
    ]);
  });

  it('keeps TEQ LM and held-out losses together, and other series in a chart of their own', () => {
    const groups = groupLosses([{ label: 'custom' }, { label: 'TEQ LM loss' }, { label: 'TEQ held-out loss' }]);
    expect(groups.map((g) => [g.key, g.series.map((s) => s.label)])).toEqual([
      ['teq', ['TEQ LM loss', 'TEQ held-out loss']],
      ['other', ['custom']],
    ]);
  });

  it('has no group for no series', () => {
    expect(groupLosses([])).toEqual([]);
  });
});
