// Per-channel vectors as one heatmap per group (blocks x channels): TEQ/AWQ scales on a diverging
// colour axis centred on 1, or GPTQ's Hessian diagonals (`scale="log"`). Each group gets its own
// colour range by default (OPT's groups differ by orders of magnitude: on one shared range most of
// them look blank); one range for all groups is a click away, to compare groups with each other.
// Used for a finished run (Inspect) and a live one (Run).
import { useMemo, useState } from 'react';
import { findDomain, Heatmap } from './charts/Heatmap';
import { Segmented } from './controls';
import { scalesByGroup, type ScaleSnapshot } from './run-details';

export function ScaleHeatmaps({
  scales,
  kind,
  scale = 'diverging-log',
  what = 'scales',
  testId = 'scales',
  format,
}: {
  scales: ScaleSnapshot[];
  kind: string;
  scale?: 'diverging-log' | 'log';
  /** What the vectors are, for the heatmaps' labels. */
  what?: string;
  testId?: string;
  format?: (v: number) => string;
}) {
  const groups = useMemo(() => scalesByGroup(scales), [scales]);
  const [colours, setColours] = useState<'group' | 'shared'>('group');
  const sharedDomain = useMemo(
    () =>
      findDomain(
        scale,
        scales.flatMap((s) => s.values),
      ),
    [scales, scale],
  );
  const domain = colours === 'shared' ? sharedDomain : undefined;
  return (
    <div className="panel" style={{ gap: 12 }}>
      {groups.length > 1 && (
        <Segmented
          label="Colour range"
          value={colours}
          options={[
            { value: 'group', label: 'Each group its own', title: 'Every heatmap spans its own values: patterns inside a group show' },
            { value: 'shared', label: 'One for all groups', title: 'One range for every heatmap: groups compare with each other' },
          ]}
          onChange={setColours}
        />
      )}
      {groups.map((g) => (
        <div key={g.group} className="field" data-testid={`${testId}-${g.group}`}>
          <span className="label">
            {g.group}: {g.blocks.length} blocks × {g.cols} channels
          </span>
          <Heatmap
            rows={g.blocks.length}
            cols={g.cols}
            values={g.values}
            rowLabel={(r) => `block ${g.blocks[r]}`}
            colLabel={(c) => `channel ${c}`}
            scale={scale}
            domain={domain}
            rowAxis="block"
            colAxis="input channel"
            format={format}
            height={Math.min(300, Math.max(50, g.blocks.length * 14))}
            ariaLabel={`Heatmap of ${kind} ${what} for ${g.group}, ${g.blocks.length} blocks by ${g.cols} channels`}
          />
        </div>
      ))}
    </div>
  );
}
