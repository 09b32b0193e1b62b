import { ExportCard } from './ExportCard';
import { TeqSelectionCard } from './TeqSelectionCard';
// Inspect: what one run did inside the model. TEQ scales as a layers x channels heatmap and a
// histogram, per-layer and per-block output errors, loss curves, time per phase.
import { useId, useMemo, useState } from 'react';
import type { RunResult } from '../../core/run-types';
import { Heatmap } from '../charts/Heatmap';
import { Histogram } from '../charts/Histogram';
import { LineChart } from '../charts/LineChart';
import { groupLosses } from '../loss-groups';
import { marginText } from '../teq-selection';
import { formatBytes, formatPpl, formatSci, formatSeconds, formatSigned, runLabel, runSeconds } from '../format';
import { compareWithFp, pplInterval } from '../ppl-stats';
import { gptqErrorMatrix, layerErrorMatrix, layerNameOf, readGptq, readLosses, readScales, readTesseraq, scalesKind } from '../run-details';
import { ScaleHeatmaps } from '../ScaleHeatmaps';
import { useStudio } from '../store';
import { methodOf } from '../../methods/registry';

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
      {run.status === 'done' && run.method !== 'fp' && <ExportCard runId={run.id} />}
      <ScalesCard run={run} />
      <TeqSelectionCard run={run} />
      <ErrorsCard run={run} />
      <TesseraqCard run={run} />
      <GptqCard run={run} />
      <MemoryCard run={run} />
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
        <dd>
          {formatPpl(run.pplFp)} <IntervalText windowNll={run.windowNll?.fp} />
        </dd>
        <dt>Perplexity quantized</dt>
        <dd>
          {formatPpl(run.pplQuant)} <span className={delta > 0 ? 'worse' : 'better'}>({formatSigned(delta)})</span>{' '}
          <IntervalText windowNll={run.windowNll?.quant} />
          {compareWithFp(run)?.beatsFpBeyondNoise && <div className="worse small">below fp32 beyond the noise: does the text match the model?</div>}
        </dd>
        <dt>Evaluation tokens</dt>
        <dd>
          {run.evalTokens.toLocaleString('en-US')}
          {run.windowNll?.quant ? ` in ${run.windowNll.quant.length} windows` : ''}
        </dd>
        <dt>Total time</dt>
        <dd>{formatSeconds(runSeconds(run))}</dd>
        <dt>Time per phase</dt>
        <dd>
          {Object.entries(run.seconds)
            .map(([k, v]) => `${k} ${formatSeconds(v)}`)
            .join(' · ') || '–'}
        </dd>
      </dl>
    </div>
  );
}

function IntervalText({ windowNll }: { windowNll?: number[] }) {
  const i = pplInterval(windowNll);
  return i ? (
    <span className="small muted">
      (95%: {formatPpl(i.lo)}–{formatPpl(i.hi)})
    </span>
  ) : null;
}

function ScalesCard({ run }: { run: RunResult }) {
  const scales = useMemo(() => readScales(run), [run]);
  const [pick, setPick] = useState('all');
  const pickerId = useId();
  const histValues = useMemo(() => {
    const chosen = pick === 'all' ? scales : scales.filter((s) => s.group === pick || `${s.block}|${s.group}` === pick);
    return chosen.flatMap((s) => s.values);
  }, [scales, pick]);
  if (scales.length === 0) {
    const teq = methodOf(run.method)?.inspect.scales === 'trained';
    return (
      <div className="card">
        <h3>Per-channel scales</h3>
        <p className="muted">{teq ? 'This run carries no scale snapshots.' : `${runLabel(run)} learns no per-channel scales; run TEQ or AWQ to see them.`}</p>
      </div>
    );
  }
  const kind = scalesKind(run);
  const groups = [...new Set(scales.map((s) => s.group))];
  return (
    <div className="card" data-testid="scales-card">
      <h3>
        {kind} scales: {scales.length} vectors in {groups.length} groups
      </h3>
      <p className="small muted">
        Each row is one block’s scale vector for a group of Linears that share it (e.g. q/k/v). The weights’ input channels are multiplied by it before
        quantization and the activations divided. Blue is below 1, red above; one log colour axis centred on 1 for all groups.
      </p>
      <ScaleHeatmaps scales={scales} kind={kind} />
      <div className="row">
        <div className="field">
          <label htmlFor={pickerId}>Histogram of</label>
          <select id={pickerId} value={pick} onChange={(e) => setPick(e.target.value)}>
            <option value="all">All scales</option>
            {groups.map((g) => (
              <option key={g} value={g}>
                Group {g}, all blocks
              </option>
            ))}
            {scales.map((s) => (
              <option key={`${s.block}|${s.group}`} value={`${s.block}|${s.group}`}>
                Block {s.block} · {s.group}
              </option>
            ))}
          </select>
        </div>
        <span className="small muted">{histValues.length.toLocaleString('en-US')} values</span>
      </div>
      <Histogram values={histValues} logX xLabel="scale" ariaLabel="Histogram of scale values" />
    </div>
  );
}

function ErrorsCard({ run }: { run: RunResult }) {
  const openInTeach = useStudio((s) => s.openInTeach);
  const m = useMemo(() => layerErrorMatrix(run), [run]);
  const blockSeries = useMemo(
    () => [{ label: 'block output rel. MSE', x: run.blockErrors.map((b) => b.block), y: run.blockErrors.map((b) => b.relMse), points: true }],
    [run],
  );
  if (run.layerErrors.length === 0 && run.blockErrors.length === 0) {
    return (
      <div className="card">
        <h3>Errors</h3>
        <p className="muted">
          {run.config.measureErrors === false
            ? 'This run skipped measuring per-layer errors (the setting under Run); run it again with the setting on to see them here.'
            : 'This run has no per-layer errors.'}
        </p>
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
            rowAxis="block"
            colAxis="layer"
            onCellClick={(r, c) => {
              const name = layerNameOf(run, m.blocks[r], m.layers[c]);
              if (name) openInTeach(name);
            }}
            clickHint="click to open this layer in Teach"
            ariaLabel={`Heatmap of per-layer relative errors, ${m.blocks.length} blocks by ${m.layers.length} layers`}
          />
        )}
        <p className="small muted">
          Rows: blocks {m.blocks[0]}–{m.blocks[m.blocks.length - 1]}. Columns: {m.layers.join(', ')}.
        </p>
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
  const groups = useMemo(() => groupLosses(losses.map((l) => ({ label: l.name, x: l.steps, y: l.values }))), [losses]);
  if (losses.length === 0) return null;
  return (
    <div className="card" data-testid="loss-curves">
      <h3>Loss curves</h3>
      {/* One chart per method (TEQ then TesseraQ): their losses differ in meaning and scale. */}
      {groups.map((g) => (
        <div key={g.key} className="field" data-testid={`loss-chart-${g.key}`}>
          <h4>
            {g.title} ({g.series.length} series)
          </h4>
          <LineChart series={g.series} xLabel="step" yLabel="loss" logY integerX height={240} ariaLabel={g.title} />
        </div>
      ))}
    </div>
  );
}

const MEAN_F_HELP =
  'Mean f: the average, over the block’s layers and their quantization groups, of the step-size factor TesseraQ learns for each group, f = 2·rectsig(u), which multiplies the group’s scale: 1 keeps the min/max grid, below 1 narrows the step, above 1 widens it.';

function TesseraqCard({ run }: { run: RunResult }) {
  const openInTeach = useStudio((s) => s.openInTeach);
  const blocks = useMemo(() => readTesseraq(run), [run]);
  const flips = useMemo(() => {
    const roles = [...new Set(blocks.flatMap((b) => b.layers.map((l) => l.role)))];
    const values = new Float32Array(blocks.length * roles.length).fill(Number.NaN);
    blocks.forEach((b, r) => b.layers.forEach((l) => (values[r * roles.length + roles.indexOf(l.role)] = l.flipFraction)));
    return { roles, values };
  }, [blocks]);
  if (blocks.length === 0) return null;
  return (
    <div className="card" data-testid="tesseraq-card">
      <h3>TesseraQ rounding</h3>
      <div className="panel">
        <table>
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col" className="num">
                Output loss, nearest
              </th>
              <th scope="col" className="num">
                After TesseraQ
              </th>
              <th scope="col" className="num">
                Codes flipped
              </th>
              <th scope="col" className="num">
                <abbr title={MEAN_F_HELP} aria-describedby="mean-f-help">
                  Mean f
                </abbr>
              </th>
            </tr>
          </thead>
          <tbody>
            {blocks.map((b) => (
              <tr key={b.block}>
                <td>{b.block}</td>
                <td className="num">{formatSci(b.rtnLoss)}</td>
                <td className={`num ${b.finalLoss < b.rtnLoss ? 'better' : 'worse'}`}>{formatSci(b.finalLoss)}</td>
                <td className="num">{(100 * b.flipFraction).toFixed(2)}%</td>
                <td className="num">{b.meanF.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="help small" id="mean-f-help" data-testid="mean-f-help">
          {MEAN_F_HELP}
        </p>
        <div className="field">
          <span className="label">Share of codes rounded away from nearest, per layer</span>
          <Heatmap
            rows={blocks.length}
            cols={flips.roles.length}
            values={flips.values}
            rowLabel={(r) => `block ${blocks[r].block}`}
            colLabel={(c) => flips.roles[c]}
            scale="linear"
            format={(v) => `${(100 * v).toFixed(2)}%`}
            height={Math.min(260, Math.max(60, blocks.length * 16))}
            rowAxis="block"
            colAxis="layer"
            onCellClick={(r, c) => {
              const name = layerNameOf(run, blocks[r].block, flips.roles[c]);
              if (name) openInTeach(name);
            }}
            clickHint="click to open this layer in Teach"
            ariaLabel={`Heatmap of the share of flipped codes, ${blocks.length} blocks by ${flips.roles.length} layers`}
          />
          <span className="help">Columns: {flips.roles.join(', ')}.</span>
        </div>
      </div>
    </div>
  );
}

function GptqCard({ run }: { run: RunResult }) {
  const g = useMemo(() => readGptq(run), [run]);
  const m = useMemo(() => gptqErrorMatrix(g.layers), [g]);
  const perBlock = useMemo(
    () =>
      m.blocks.map((block) => {
        const ls = g.layers.filter((l) => l.block === block);
        const mean = (k: 'relErrRtn' | 'relErrGptq') => ls.reduce((a, l) => a + l[k], 0) / ls.length;
        return { block, rtn: mean('relErrRtn'), gptq: mean('relErrGptq') };
      }),
    [g, m],
  );
  const expected = methodOf(run.method)?.inspect.errorFeedback === true;
  if (g.layers.length === 0 && g.hessianDiag.length === 0) {
    if (!expected) return null;
    return (
      <div className="card">
        <h3>GPTQ error feedback</h3>
        <p className="muted">This run carries no GPTQ reports.</p>
      </div>
    );
  }
  const settings = ((run.details ?? {}) as { gptq?: { dampPercent?: unknown; actOrder?: unknown; blockSize?: unknown } }).gptq ?? {};
  const teqChoice = ((run.details ?? {}) as { teqGptq?: { heldOutWindows: number; withTeq: number; withoutTeq: number; keptTeq: boolean; z?: number } })
    .teqGptq;
  return (
    <div className="card" data-testid="gptq-card">
      <h3>GPTQ error feedback</h3>
      <p className="small muted">
        Each Linear’s output error ‖(W − Q)X‖² / ‖WX‖² on the calibration inputs it was quantized on, rounding every weight to nearest (before error feedback)
        and with GPTQ spreading each rounding error over the columns not yet quantized (after).
        {typeof settings.dampPercent === 'number' && ` Dampening ${settings.dampPercent}`}
        {typeof settings.blockSize === 'number' && `, batches of ${settings.blockSize} columns`}
        {settings.actOrder === true && ', act-order'}
        {typeof settings.dampPercent === 'number' && '.'}
      </p>
      {teqChoice && (
        <p className="small" data-testid="teq-gptq-choice">
          {teqChoice.keptTeq ? 'TEQ’s scales kept' : 'TEQ’s scales dropped: these are GPTQ’s codes without them'}: held-out loss {teqChoice.withTeq.toFixed(5)}{' '}
          with TEQ’s scales, {teqChoice.withoutTeq.toFixed(5)} without, on {teqChoice.heldOutWindows} calibration windows TEQ never trained on (kept only where
          clearly lower{typeof teqChoice.z === 'number' ? `; with them ${marginText(teqChoice.z)}` : ''}).
        </p>
      )}
      <div className="grid-2">
        <table>
          <thead>
            <tr>
              <th scope="col">Block</th>
              <th scope="col" className="num">
                Mean error, nearest
              </th>
              <th scope="col" className="num">
                With error feedback
              </th>
              <th scope="col" className="num">
                Left
              </th>
            </tr>
          </thead>
          <tbody>
            {perBlock.map((b) => (
              <tr key={b.block}>
                <td>{b.block}</td>
                <td className="num">{formatSci(b.rtn)}</td>
                <td className={`num ${b.gptq < b.rtn ? 'better' : 'worse'}`}>{formatSci(b.gptq)}</td>
                <td className="num">{(100 * (b.gptq / b.rtn)).toFixed(1)}%</td>
              </tr>
            ))}
          </tbody>
        </table>
        {m.layers.length > 0 && (
          <div className="field">
            <span className="label">Share of round-to-nearest’s error left after error feedback, per layer</span>
            <Heatmap
              rows={m.blocks.length}
              cols={m.layers.length}
              values={m.ratio}
              rowLabel={(r) => `block ${m.blocks[r]}`}
              colLabel={(c) => m.layers[c]}
              scale="linear"
              format={(v) => `${(100 * v).toFixed(1)}%`}
              height={Math.min(260, Math.max(60, m.blocks.length * 16))}
              ariaLabel={`Heatmap of GPTQ's error as a share of round-to-nearest's, ${m.blocks.length} blocks by ${m.layers.length} layers`}
            />
            <span className="help">Columns: {m.layers.join(', ')}.</span>
          </div>
        )}
      </div>
      {g.hessianDiag.length > 0 && (
        <>
          <h3>Input channel importance (the Hessian’s diagonal)</h3>
          <p className="small muted">
            diag(H) = 2·Σ x² / tokens for each input channel of each set of Linears that share an input (named by its first: q for q/k/v, gate for gate/up...):
            how much a rounding error on that channel costs. Bright columns are the outlier channels GPTQ protects (act-order quantizes them first). Log colour
            axis, one per set.
          </p>
          <ScaleHeatmaps scales={g.hessianDiag} kind="GPTQ" scale="log" what="Hessian diagonal" testId="hessian" format={formatSci} />
        </>
      )}
    </div>
  );
}

function MemoryCard({ run }: { run: RunResult }) {
  const m = run.memory;
  if (!m) return null;
  // Execution order (seconds were recorded as phases ran), then phases only planned.
  const phases = [...new Set([...Object.keys(run.seconds), ...Object.keys(m.measured), ...Object.keys(m.planned)])].filter(
    (p) => p in m.planned || p in m.measured,
  );
  return (
    <div className="card">
      <h3>GPU memory per phase</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Phase</th>
            <th scope="col" className="num">
              Planned
            </th>
            <th scope="col" className="num">
              Measured peak
            </th>
            <th scope="col" className="num">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {phases.map((p) => (
            <tr key={p}>
              <td>{p}</td>
              <td className="num">{m.planned[p] === undefined ? '–' : formatBytes(m.planned[p])}</td>
              <td className="num">{m.measured[p] === undefined ? '–' : formatBytes(m.measured[p])}</td>
              <td className="num">{run.seconds[p] === undefined ? '–' : formatSeconds(run.seconds[p])}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
