// Beside Compare's chart, the values people look for without hovering it: the best method at each
// bit width, and the Δ of the run just finished (or the newest one).
import type { RunResult } from '../../core/run-types';
import { bestPerBits, currentRun } from '../compare-highlights';
import { METHOD_LABELS, formatPpl, formatSigned, runLabel } from '../format';
import { useStudio } from '../store';

export function CompareHighlights({ runs }: { runs: RunResult[] }) {
  const finishedId = useStudio((s) => (s.run?.status === 'done' ? s.run.resultId : undefined));
  const best = bestPerBits(runs);
  const current = currentRun(runs, finishedId);
  if (!current && best.length === 0) return null;
  return (
    <ul className="plain compare-highlights small" data-testid="compare-highlights">
      {current && <CurrentRunLine run={current.run} justFinished={current.justFinished} />}
      {best.map((b) => (
        <li key={b.bits} data-testid={`best-w${b.bits}`}>
          <span className="muted">Best at W{b.bits}:</span> <strong>{b.runs.map((r) => METHOD_LABELS[r.method]).join(', ')}</strong> perplexity{' '}
          {formatPpl(b.runs[0].pplQuant)} (Δ {formatSigned(b.runs[0].pplQuant - b.runs[0].pplFp)})
          {runsAt(runs, b.bits) === 1 && <span className="muted"> · the only method run at W{b.bits}</span>}
        </li>
      ))}
    </ul>
  );
}

function CurrentRunLine({ run, justFinished }: { run: RunResult; justFinished: boolean }) {
  const d = run.pplQuant - run.pplFp;
  return (
    <li data-testid="current-run-delta">
      <span className="muted">{justFinished ? 'This run' : 'Newest run'}:</span> {runLabel(run)}{' '}
      <strong className={d > 0 ? 'worse' : 'better'}>Δ {formatSigned(d)}</strong> ({formatSigned((100 * d) / run.pplFp, 1)}%, {formatPpl(run.pplFp)} →{' '}
      {formatPpl(run.pplQuant)})
    </li>
  );
}

/** How many methods have a run at these bits. */
function runsAt(runs: RunResult[], bits: number): number {
  return new Set(runs.filter((r) => r.bits === bits && r.method !== 'fp').map((r) => r.method)).size;
}
