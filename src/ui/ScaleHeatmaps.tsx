// Per-channel vectors as one heatmap per group (blocks x channels): TEQ/AWQ scales, all groups on
// one diverging colour axis centred on 1 so they can be compared; or GPTQ's Hessian diagonals
// (`scale="log"`), each group on its own axis (a set's inputs differ in magnitude from another's).
// Used for a finished run (Inspect) and a live one (Run).
import { useMemo } from 'react';
import { findDomain, Heatmap } from './charts/Heatmap';
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
  const domain = useMemo(
    () =>
      scale === 'diverging-log'
        ? findDomain(
            'diverging-log',
            scales.flatMap((s) => s.values),
          )
        : undefined,
    [scales, scale],
  );
  return (
    <div className="panel" style={{ gap: 12 }}>
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
