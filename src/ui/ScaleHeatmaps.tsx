// Per-channel scales as one heatmap per scale group (blocks x channels), all on one colour axis
// so groups can be compared; used for a finished run (Inspect) and a live one (Run).
import { useMemo } from 'react';
import { findDomain, Heatmap } from './charts/Heatmap';
import { scalesByGroup, type ScaleSnapshot } from './run-details';

export function ScaleHeatmaps({ scales, kind }: { scales: ScaleSnapshot[]; kind: string }) {
  const groups = useMemo(() => scalesByGroup(scales), [scales]);
  const domain = useMemo(
    () =>
      findDomain(
        'diverging-log',
        scales.flatMap((s) => s.values),
      ),
    [scales],
  );
  return (
    <div className="panel" style={{ gap: 12 }}>
      {groups.map((g) => (
        <div key={g.group} className="field" data-testid={`scales-${g.group}`}>
          <span className="label">
            {g.group}: {g.blocks.length} blocks × {g.cols} channels
          </span>
          <Heatmap
            rows={g.blocks.length}
            cols={g.cols}
            values={g.values}
            rowLabel={(r) => `block ${g.blocks[r]}`}
            colLabel={(c) => `channel ${c}`}
            scale="diverging-log"
            domain={domain}
            rowAxis="block"
            colAxis="input channel"
            height={Math.min(300, Math.max(50, g.blocks.length * 14))}
            ariaLabel={`Heatmap of ${kind} scales for ${g.group}, ${g.blocks.length} blocks by ${g.cols} channels`}
          />
        </div>
      ))}
    </div>
  );
}
