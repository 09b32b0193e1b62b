// Inspect: what one run did inside the model. TEQ scales as a layers x channels heatmap and a
// histogram, per-layer and per-block output errors, loss curves, time per phase.
import { useId, useMemo, useState } from 'react';
import type { RunResult } from '../../engine/run-types';
import { Heatmap } from '../charts/Heatmap';
import { Histogram } from '../charts/Histogram';
import { LineChart } from '../charts/LineChart';
import { formatPpl, formatSci, formatSeconds, formatSigned, runLabel } from '../format';
import { layerErrorMatrix, readLosses, readScales, scalesMatrix, type ScaleSnapshot } from '../run-details';
import { useStudio } from '../store';

export function InspectPanel() {
  const runs = useStudio((s) => s.history);
  const inspectId = useStudio((s) => s.inspectId);
  const openInInspect = useStudio((s) => s.openInInspect);
  const pickerId = useId();
  const run = runs.find((r) => r.id === inspectId) ?? runs[0] ?? null;

  if (!run) return <div className="empty">Nothing to inspect yet: finish a run, or open one from History.</div>;
  return (
    <div className="panel">
      <div className="card">
        <div className="row">
          <div className="field" style={{ flex: 1 }}>
            <label htmlFor={pickerId}>Run</label>
            <select id={pickerId} value={run.id} onChange={(e) => openInInspect(e.target.value)}>
              {runs.map((r) => (
                <option key={r.id} value={r.id}>
                  {runLabel(r)} · {r.model} · {r.id}
                </option>
              ))}
            </select>
          </div>
        </div>
        <RunSummary run={run} />
      </div>
      <ScalesCard run={run} />
      <ErrorsCard run={run} />
      <LossesCard run={run} />
    </div>
  );
}

function RunSummary({ run }: { run: RunResult }) {
  const delta = run.pplQuant - run.pplFp;
  return (
    <div className="grid-2">
      <dl className="kv">
        <dt>Method</dt>
        <dd>{runLabel(run)}</dd>
        <dt>Model</dt>
        <dd>{run.model}</dd>
        <dt>Text</dt>
        <dd>
          {run.config.text}, {run.config.calibSamples} × {run.config.seqLen} tokens
        </dd>
        <dt>Status</dt>
        <dd className={run.status === 'done' ? '' : 'worse'}>
          {run.status}
          {run.error ? `: ${run.error}` : ''}
        </dd>
        <dt>Device</dt>
        <dd>{run.device}</dd>
      </dl>
      <dl className="kv">
        <dt>Perplexity fp32</dt>
        <dd>{formatPpl(run.pplFp)}</dd>
        <dt>Perplexity quantized</dt>
        <dd>
          {formatPpl(run.pplQuant)} <span className={delta > 0 ? 'worse' : 'better'}>({formatSigned(delta)})</span>
        </dd>
        <dt>Evaluation tokens</dt>
        <dd>{run.evalTokens.toLocaleString('en-US')}</dd>
        <dt>Time</dt>
        <dd>
          {Object.entries(run.seconds)
            .map(([k, v]) => `${k} ${formatSeconds(v)}`)
            .join(' · ') || '–'}
        </dd>
      </dl>
    </div>
  );
}

function ScalesCard({ run }: { run: RunResult }) {
  const scales = useMemo(() => readScales(run), [run]);
  const matrix = useMemo(() => scalesMatrix(scales), [scales]);
  const [row, setRow] = useState(-1);
  const rowPickerId = useId();
  if (scales.length === 0) {
    const teq = run.method === 'teq' || run.method === 'teq+tesseraq';
    return (
      <div className="card">
        <h3>TEQ scales</h3>
        <p className="muted">{teq ? 'This run carries no scale snapshots.' : `${runLabel(run)} learns no per-channel scales; run TEQ to see them.`}</p>
      </div>
    );
  }
  const histValues: ArrayLike<number> = row < 0 ? matrix.values : (scales[row] as ScaleSnapshot).values;
  return (
    <div className="card" data-testid="scales-card">
      <h3>TEQ scales: {matrix.rows} layer groups × {matrix.cols} channels</h3>
      <p className="small muted">
        Each row is one scale vector α (shared by the Linears of a group); blue below 1 shrinks a channel before
        quantization, red above 1 enlarges it. Log colour axis centred on 1.
      </p>
      <Heatmap
        rows={matrix.rows}
        cols={matrix.cols}
        values={matrix.values}
        rowLabel={(r) => matrix.labels[r]}
        colLabel={(c) => `channel ${c}`}
        scale="diverging-log"
        ariaLabel={`Heatmap of TEQ scales, ${matrix.rows} layer groups by ${matrix.cols} channels`}
      />
      <div className="row">
        <div className="field">
          <label htmlFor={rowPickerId}>Histogram of</label>
          <select id={rowPickerId} value={row} onChange={(e) => setRow(Number(e.target.value))}>
            <option value={-1}>All layer groups</option>
            {matrix.labels.map((l, i) => (
              <option key={l} value={i}>
                {l}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Histogram values={histValues} logX xLabel="scale α" ariaLabel="Histogram of scale values" />
    </div>
  );
}

function ErrorsCard({ run }: { run: RunResult }) {
  const m = useMemo(() => layerErrorMatrix(run), [run]);
  const blockSeries = useMemo(
    () => [{ label: 'block output rel. MSE', x: run.blockErrors.map((b) => b.block), y: run.blockErrors.map((b) => b.relMse), points: true }],
    [run],
  );
  if (run.layerErrors.length === 0 && run.blockErrors.length === 0) {
    return (
      <div className="card">
        <h3>Errors</h3>
        <p className="muted">This run has no per-layer errors.</p>
      </div>
    );
  }
  return (
    <div className="grid-2">
      <div className="card">
        <h3>Per-layer error ‖Wx − Q(W)x‖² / ‖Wx‖²</h3>
        {m.layers.length > 0 && (
          <Heatmap
            rows={m.blocks.length}
            cols={m.layers.length}
            values={m.values}
            rowLabel={(r) => `block ${m.blocks[r]}`}
            colLabel={(c) => m.layers[c]}
            scale="log"
            height={Math.min(300, Math.max(80, m.blocks.length * 16))}
            format={formatSci}
            ariaLabel={`Heatmap of per-layer relative errors, ${m.blocks.length} blocks by ${m.layers.length} layers`}
          />
        )}
        <p className="small muted">Columns: {m.layers.join(', ')}.</p>
      </div>
      <div className="card">
        <h3>Per-block output error</h3>
        {run.blockErrors.length > 0 ? (
          <LineChart series={blockSeries} xLabel="block" yLabel="rel. MSE" logY integerX height={220} ariaLabel="Relative MSE of each block's output" />
        ) : (
          <p className="muted">No block errors recorded.</p>
        )}
      </div>
    </div>
  );
}

function LossesCard({ run }: { run: RunResult }) {
  const losses = useMemo(() => readLosses(run), [run]);
  const series = useMemo(() => losses.map((l) => ({ label: l.name, x: l.steps, y: l.values })), [losses]);
  if (losses.length === 0) return null;
  return (
    <div className="card">
      <h3>Loss curves</h3>
      <LineChart series={series} xLabel="step" yLabel="loss" logY height={260} ariaLabel="Training loss per step" />
    </div>
  );
}
