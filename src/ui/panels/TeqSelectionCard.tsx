// TEQ's held-out selection in Inspect: which step's α was kept and how it scored against the start
// (AWQ's result) on calibration windows training never saw, and how far the kept α moved from that
// start per block and group (|ln α|; 0 = the start's scale unchanged).
import { useMemo } from 'react';
import type { RunResult } from '../../core/run-types';
import { Heatmap } from '../charts/Heatmap';
import { LineChart } from '../charts/LineChart';
import { isNearTie, marginText, NEAR_TIE_Z, readTeqSelection } from '../teq-selection';
import { TEQ_KEEP_Z } from '../../quant/teq-holdout';

export function TeqSelectionCard({ run }: { run: RunResult }) {
  const sel = useMemo(() => readTeqSelection(run), [run]);
  const grid = useMemo(() => {
    if (!sel) return null;
    const blocks = [...new Set(sel.moved.map((m) => m.block))].sort((a, b) => a - b);
    const groups = [...new Set(sel.moved.map((m) => m.group))];
    const values = new Float32Array(blocks.length * groups.length).fill(Number.NaN);
    for (const m of sel.moved) values[blocks.indexOf(m.block) * groups.length + groups.indexOf(m.group)] = m.meanAbsLog;
    return { blocks, groups, values };
  }, [sel]);
  const series = useMemo(
    () => (sel?.scores.length ? [{ label: 'held-out loss', x: sel.scores.map((s) => s.step), y: sel.scores.map((s) => s.loss), points: true }] : []),
    [sel],
  );
  if (!sel || !grid) return null;
  const gain = sel.keptLoss !== undefined && sel.startLoss !== undefined ? sel.startLoss - sel.keptLoss : undefined;
  return (
    <div className="card" data-testid="teq-selection-card">
      <h3>TEQ: kept scales</h3>
      {sel.heldOutWindows > 0 ? (
        <p data-testid="teq-kept">
          Kept the scales of step {sel.keptStep}
          {sel.keptStep === 0 ? ' (the start: no later step scored clearly better)' : ''}: held-out loss {sel.keptLoss?.toFixed(5)} against{' '}
          {sel.startLoss?.toFixed(5)} at the start{gain !== undefined && gain > 0 ? ` (${gain.toExponential(2)} lower)` : ''}, on {sel.heldOutWindows}{' '}
          calibration windows held out of training ({sel.trainWindows} trained on). A later step replaces the kept scales only where it is lower by more than{' '}
          {TEQ_KEEP_Z} standard errors of the per-window difference.
        </p>
      ) : (
        <p data-testid="teq-kept">No windows held out: the last step's scales were kept (step {sel.keptStep}).</p>
      )}
      {series.length > 0 && (
        <LineChart series={series} xLabel="step" yLabel="held-out loss" integerX height={180} ariaLabel="Held-out loss at each scored step" />
      )}
      {sel.scores.some((s) => s.z !== undefined) && (
        <table data-testid="teq-decisions">
          <caption className="small muted">
            Each scored step against the scales kept when it was scored: by how many standard errors of the per-window difference its held-out loss was lower.
            Within {NEAR_TIE_Z} of {TEQ_KEEP_Z} a choice is a near-tie: another seed, or f16 products instead of f32 ones, can make the other.
          </caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col" className="num">
                Held-out loss
              </th>
              <th scope="col">Against step</th>
              <th scope="col">Margin</th>
              <th scope="col">Kept</th>
            </tr>
          </thead>
          <tbody>
            {sel.scores.map((s) => (
              <tr key={s.step} className={isNearTie(s.z) ? 'near-tie' : undefined}>
                <td>{s.step}</td>
                <td className="num">{s.loss.toFixed(5)}</td>
                <td>{s.against ?? '–'}</td>
                <td>{marginText(s.z) || '–'}</td>
                <td>{s.kept ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {grid.blocks.length > 0 && (
        <div className="field">
          <span className="label">How far the kept α moved from its start: mean |ln α| per block and group</span>
          <Heatmap
            rows={grid.blocks.length}
            cols={grid.groups.length}
            values={grid.values}
            rowLabel={(r) => `block ${grid.blocks[r]}`}
            colLabel={(c) => grid.groups[c]}
            scale="linear"
            format={(v) => v.toExponential(2)}
            height={Math.min(260, Math.max(60, grid.blocks.length * 16))}
            ariaLabel={`Heatmap of mean |ln α|, ${grid.blocks.length} blocks by ${grid.groups.length} groups`}
          />
          <span className="help">
            Columns: {grid.groups.join('; ')}. Largest |ln α| anywhere: {Math.max(0, ...sel.moved.map((m) => m.maxAbsLog)).toExponential(2)}.
          </span>
        </div>
      )}
    </div>
  );
}
