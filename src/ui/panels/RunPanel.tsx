// Run: what will run, start and cancel, progress per phase with elapsed and remaining time,
// live loss curves and scales, and the result with a reproducible link.
import { useEffect, useMemo, useRef, useState } from 'react';
import { runFileName, runToJson } from '../../engine/history';
import { LineChart } from '../charts/LineChart';
import { downloadText } from '../download';
import { formatBytes, formatPpl, formatSeconds, formatSigned, runLabel } from '../format';
import { estimateRemaining, expectedPhases, expectedSeconds, plannedWork, type LiveRun, type PhaseState } from '../run-state';
import { Checkbox } from '../controls';
import { groupLosses } from '../loss-groups';
import { isSoftwareAdapter } from '../presets';
import { ScaleHeatmaps } from '../ScaleHeatmaps';
import { compareWithFp, pplInterval } from '../ppl-stats';
import type { RunResult } from '../../core/run-types';
import { reproducibleLink, requestForSource, useStudio } from '../store';
import { METHODS, METHOD_NAMES } from '../../methods/registry';
import { RunExports } from './ExportPreview';

const PHASE_LABELS: Record<string, string> = {
  tokenize: 'Tokenize the text',
  load: 'Upload embeddings',
  'eval-fp': 'fp32 perplexity',
  ...Object.fromEntries(METHOD_NAMES.flatMap((m) => (METHODS[m].phaseLabel ? [[m, METHODS[m].phaseLabel]] : []))),
  measure: 'Per-layer errors',
  'eval-quant': 'Quantized perplexity',
};

export function RunPanel() {
  const run = useStudio((s) => s.run);
  return (
    <div className="panel">
      <UnfinishedRuns />
      <RunSetup />
      {run && <RunProgress run={run} />}
      {run && <LiveCharts run={run} />}
    </div>
  );
}

/** Runs interrupted by a reload, a crash or a cancel, with a checkpoint to resume from. */
function UnfinishedRuns() {
  // Not the run in progress: its checkpoints are saved while it runs (one run at a time, so any
  // checkpoint written since it started is its own).
  const current = useStudio((s) => (s.run?.status === 'running' ? s.run : null));
  const all = useStudio((s) => s.checkpoints);
  const checkpoints = current === null ? all : all.filter((c) => c.runId !== current.resumeOf && new Date(c.createdAt).getTime() < current.startedAt);
  const modelSource = useStudio((s) => s.model?.source);
  const running = useStudio((s) => s.run?.status === 'running');
  const { resumeRun, discardCheckpoint, refreshCheckpoints, loadModel } = useStudio.getState();
  useEffect(() => {
    void refreshCheckpoints();
  }, [refreshCheckpoints]);
  if (!checkpoints.length) return null;
  return (
    <div className="card" data-testid="unfinished-runs">
      <h3>Unfinished runs</h3>
      <ul className="plain">
        {checkpoints.map((c) => (
          <li key={c.runId} className="row">
            <span style={{ flex: 1 }}>
              {runLabel(c.config)} · {c.completedBlocks} blocks done
              {c.resumePoint && ` · resumes ${c.resumePoint}`} · saved {new Date(c.createdAt).toLocaleString()}
              {c.config.model !== modelSource && (
                <span className="muted small">
                  {' '}
                  · a run of {c.config.model}
                  {requestForSource(c.config.model) ? '' : ': pick its files in Model to resume it'}
                </span>
              )}
            </span>
            {c.config.model !== modelSource && requestForSource(c.config.model) ? (
              <button type="button" disabled={running} onClick={() => void loadModel(requestForSource(c.config.model)!)}>
                Load {c.config.model.replace(/^(bundled|hf):/, '')}
              </button>
            ) : (
              <button type="button" disabled={running || c.config.model !== modelSource} onClick={() => void resumeRun(c)}>
                Resume
              </button>
            )}
            <button type="button" disabled={running} onClick={() => void discardCheckpoint(c.runId)}>
              Discard
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function RunSetup() {
  const config = useStudio((s) => s.config);
  const model = useStudio((s) => s.model);
  const gpu = useStudio((s) => s.gpu);
  const running = useStudio((s) => s.run?.status === 'running');
  const cancelling = useStudio((s) => s.run?.status === 'running' && !!s.run.cancelling);
  const blocked = useStudio((s) => s.runBlocked);
  // Known before a click: nothing to calibrate on (an empty text of one's own).
  const noText = useStudio((s) => s.config.text === 'custom' && !s.customFile && s.customText.trim() === '');
  const { startRun, cancelJob } = useStudio.getState();
  const [copied, setCopied] = useState(false);
  const link = reproducibleLink(config);
  // Start disables itself: keyboard focus moves on to Cancel rather than falling back to the page.
  const startRef = useRef<HTMLButtonElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (running && (document.activeElement === startRef.current || document.activeElement === document.body)) cancelRef.current?.focus();
    if (!running && document.activeElement === cancelRef.current) startRef.current?.focus();
  }, [running, cancelling]);
  return (
    <div className="card">
      <div className="row">
        <div style={{ flex: 1 }}>
          <h3>{runLabel(config)}</h3>
          <p className="muted small">
            {model?.name ?? config.model} · {config.text}, {config.calibSamples} × {config.seqLen} tokens · seed {config.seed}
            {config.calibDraw && config.calibDraw !== 'studio' ? ` (windows drawn as ${config.calibDraw} draws them)` : ''}
            {METHODS[config.method].summary?.(config) ?? ''}
          </p>
        </div>
        <button
          ref={startRef}
          className="primary"
          disabled={running || gpu.status !== 'ready' || noText}
          aria-describedby={noText ? 'start-disabled-reason' : undefined}
          onClick={() => void startRun()}
        >
          Start run
        </button>
        {/* While cancelling: aria-disabled, so keyboard focus stays on it until the run has stopped. */}
        <button
          ref={cancelRef}
          disabled={!running}
          aria-disabled={cancelling || undefined}
          onClick={cancelling ? undefined : cancelJob}
          data-testid="cancel-run"
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <div className="row small">
        <span className="muted">Reproducible link (starts this run when opened; a long run asks first):</span>
        <a href={link} className="mono" data-testid="repro-link" style={{ overflowWrap: 'anywhere', flex: '1 1 240px' }}>
          {link}
        </a>
        {config.model.startsWith('local:') && (
          <span className="muted" data-testid="repro-local-note" style={{ flexBasis: '100%' }}>
            The model is files on this computer: whoever opens the link must pick the same files again in Model (the name's hash checks they are the same
            model).
          </span>
        )}
        <button
          onClick={() => {
            void navigator.clipboard?.writeText(link).then(() => setCopied(true));
            setTimeout(() => setCopied(false), 2000);
          }}
        >
          {copied ? 'Copied' : 'Copy link'}
        </button>
      </div>
      {gpu.status === 'pending' && <p className="muted small">Waiting for the GPU…</p>}
      {noText && (
        <p className="small worse" id="start-disabled-reason" data-testid="start-disabled-reason">
          Start is off: the calibration text is empty. Paste or upload a text in Data, or pick a bundled one.
        </p>
      )}
      <ExpectedTime />
      <MeasureErrorsSetting />
      <MemoryPlanLine />
      {model && <RunExports exports={model.exports} config={config} />}
      {blocked.length > 0 && (
        <div className="notice error" role="alert" data-testid="run-blocked">
          <div>
            <strong>The run did not start</strong>
            <ul>
              {blocked.map((b) => (
                <li key={b}>{b}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}

/** How long the configured run should take, planned at the speed the last run measured on this adapter. */
function ExpectedTime() {
  const config = useStudio((s) => s.config);
  const layers = useStudio((s) => s.model?.layers);
  const rate = useStudio((s) => s.deviceRate);
  const text = useStudio((s) => s.text);
  const software = useStudio((s) => s.gpu.status === 'ready' && isSoftwareAdapter(s.gpu.report));
  if (!layers) return null;
  const windows = text.status === 'ready' ? Math.floor(text.stats.evalTokens / config.seqLen) : undefined;
  const seconds = rate ? expectedSeconds(config, layers, rate, windows) : null;
  return (
    <p className="small" data-testid="expected-time">
      {seconds !== null
        ? `Expected time: about ${formatSeconds(seconds)}, planned from this run's work at the speed this device measured in its last run.`
        : `Expected time: known after a first run on this device${software ? ' (a software adapter: expect minutes even for small runs; the Quick demo preset is sized for it)' : ''}.`}
    </p>
  );
}

/** The per-layer errors step, skippable, with the time it is planned to take. */
function MeasureErrorsSetting() {
  const config = useStudio((s) => s.config);
  const layers = useStudio((s) => s.model?.layers);
  const rate = useStudio((s) => s.deviceRate);
  const running = useStudio((s) => s.run?.status === 'running');
  const setConfig = useStudio((s) => s.setConfig);
  if (config.method === 'fp') return null;
  const seconds = layers && rate ? plannedWork({ ...config, measureErrors: true }, 'measure', layers) / rate : null;
  const time =
    seconds !== null
      ? `Planned: about ${formatSeconds(seconds)} on this device.`
      : 'One more pass over the calibration set, block by block (its time is planned once this device has finished a run).';
  return (
    <fieldset disabled={running} style={{ border: 0, padding: 0, margin: 0 }} data-testid="measure-errors-setting">
      <Checkbox
        label="Measure per-layer errors after quantizing"
        checked={config.measureErrors !== false}
        onChange={(measureErrors) => setConfig({ measureErrors })}
        help={`${time} Inspect's error heatmaps and Teach's last step use them; off skips the step.`}
      />
    </fieldset>
  );
}

/** The GPU memory estimate for the current config, recomputed by the worker when it changes. */
function MemoryPlanLine() {
  const config = useStudio((s) => s.config);
  const model = useStudio((s) => s.model);
  const gpu = useStudio((s) => s.gpu);
  const plan = useStudio((s) => s.memoryPlan);
  useEffect(() => {
    const t = setTimeout(() => void useStudio.getState().refreshMemoryPlan(), 150);
    return () => clearTimeout(t);
  }, [config, model, gpu.status]);
  if (!plan) return null;
  const [peakPhase] = Object.entries(plan.phases).reduce((a, b) => (b[1] > a[1] ? b : a), ['', -1]);
  const limit = gpu.status === 'ready' ? gpu.report.limits.maxStorageBufferBindingSize : undefined;
  return (
    <>
      <p className="small muted" data-testid="memory-plan">
        GPU memory: about {formatBytes(plan.peak)} at the peak ({PHASE_LABELS[peakPhase] ?? peakPhase}); largest tensor {plan.largestTensor.name},{' '}
        {formatBytes(plan.largestTensor.bytes)}
        {limit ? ` of the ${formatBytes(limit)} a binding may hold` : ''}; fp blocks {plan.residentBlocks ? 'kept on the GPU' : 'streamed one at a time'}.
      </p>
      {plan.problems.length > 0 && (
        <div className="notice error" role="alert">
          <div>
            <strong>This run does not fit this GPU</strong>
            <ul>
              {plan.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </>
  );
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [active]);
  // eslint-disable-next-line react-hooks/purity -- a stopped run has no ticking clock; its unfinished phases end when it is drawn
  return active ? now : Date.now();
}

function RunProgress({ run }: { run: LiveRun }) {
  const now = useNow(run.status === 'running');
  const history = useStudio((s) => s.history);
  const openInInspect = useStudio((s) => s.openInInspect);
  const setSection = useStudio((s) => s.setSection);
  const end = run.endedAt ?? now;
  const remaining = estimateRemaining(run, now);
  const result = run.resultId ? history.find((r) => r.id === run.resultId) : undefined;
  const pending = expectedPhases(run.config).filter((p) => !run.phases.some((q) => q.name === p));
  const statusText =
    run.cancelling && run.status === 'running' ? 'Cancelling' : { running: 'Running', done: 'Finished', cancelled: 'Cancelled', failed: 'Failed' }[run.status];
  return (
    <div className="card" data-testid="run-progress" data-status={run.status}>
      <div className="row">
        <h3>
          {statusText}: {runLabel(run.config)}
        </h3>
        <span className="spacer" />
        <span className="muted" aria-live="off">
          elapsed {formatSeconds((end - run.startedAt) / 1000)}
          {run.status === 'running' && (
            <span data-testid="run-remaining">
              {' · remaining '}
              {remaining === null ? 'estimating…' : `about ${formatSeconds(remaining.seconds)}${remaining.fromPlan ? ' (from the plan)' : ''}`}
            </span>
          )}
        </span>
      </div>
      <ol className="phases">
        {run.phases.map((p, i) => (
          <PhaseRow key={`${p.name}-${i}`} phase={p} now={now} />
        ))}
        {run.status === 'running' &&
          pending.map((p) => (
            <li key={p} className="phase pending">
              <span className="phase-name">{PHASE_LABELS[p] ?? p}</span>
              <span className="muted small">waiting</span>
            </li>
          ))}
      </ol>
      {run.log.length > 0 && (
        <details open={run.status === 'running'}>
          <summary>Engine log ({run.log.length})</summary>
          <ul className="log mono small" aria-live="off">
            {run.log.slice(-200).map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        </details>
      )}
      {run.error && !(run.status === 'cancelled' && result) && (
        <div className={`notice ${run.status === 'cancelled' ? 'warn' : 'error'}`} role="alert">
          <div>{run.error.message}</div>
        </div>
      )}
      {result && result.status !== 'done' && (
        <div className="notice warn" data-testid="run-result" data-status={result.status}>
          <div>
            <strong>{result.status === 'cancelled' ? 'Cancelled' : 'Failed'}: no quantized perplexity.</strong>
            <span className="small">
              {' '}
              Kept in History as {result.id}, marked {result.status}; Compare leaves it out.
            </span>
          </div>
        </div>
      )}
      {result && result.status === 'done' && compareWithFp(result)?.beatsFpBeyondNoise && (
        <div className="notice warn" role="alert" data-testid="beats-fp">
          <div>
            <strong>The quantized model scores better than fp32, beyond the noise of the {result.evalTokens.toLocaleString('en-US')} scored tokens.</strong>{' '}
            Quantization rarely improves a model: the text probably does not match it (try the text with the lowest fp32 perplexity in Data), or the evaluation
            is too small to tell (more evaluation windows in Data).
          </div>
        </div>
      )}
      {result && result.status === 'done' && (
        <div className="notice ok" data-testid="run-result" data-status={result.status}>
          <div>
            <strong>
              Perplexity {formatPpl(result.pplFp)} (fp32) → {formatPpl(result.pplQuant)} ({formatSigned(result.pplQuant - result.pplFp)})
            </strong>
            <span className="small" data-testid="run-result-noise">
              {resultNoise(result)} Saved in History as {result.id}.
            </span>
          </div>
          <button onClick={() => openInInspect(result.id)}>Inspect</button>
          <button onClick={() => setSection('compare')}>Compare</button>
          <button onClick={() => downloadText(runFileName(result), runToJson(result))}>Download JSON</button>
        </div>
      )}
    </div>
  );
}

/** "252 tokens scored in 4 windows; 95% intervals: fp32 5.1–5.6, quantized 5.6–6.2, ratio 1.04–1.12." */
function resultNoise(r: RunResult): string {
  const windows = r.windowNll?.quant?.length ?? r.windowNll?.fp?.length;
  const parts = [`${r.evalTokens.toLocaleString('en-US')} tokens scored${windows ? ` in ${windows} windows` : ''}.`];
  const fp = pplInterval(r.windowNll?.fp);
  const q = pplInterval(r.windowNll?.quant);
  const paired = compareWithFp(r);
  if (fp && q) {
    parts.push(
      `95% intervals: fp32 ${formatPpl(fp.lo)}–${formatPpl(fp.hi)}, quantized ${formatPpl(q.lo)}–${formatPpl(q.hi)}` +
        (paired ? `; quantized / fp32 ${paired.lo.toFixed(3)}–${paired.hi.toFixed(3)} on the same windows.` : '.'),
    );
  } else parts.push('Too few windows for an interval.');
  return parts.join(' ');
}

function PhaseRow({ phase, now }: { phase: PhaseState; now: number }) {
  const seconds = ((phase.endedAt ?? now) - phase.startedAt) / 1000;
  const fraction = phase.total ? (phase.done ?? 0) / phase.total : phase.endedAt !== undefined && !phase.stopped ? 1 : 0;
  const unit = phase.name.startsWith('eval') ? 'batches' : phase.name === 'measure' || phase.total === undefined ? 'blocks' : 'steps';
  return (
    <li
      className={`phase ${phase.stopped ? 'stopped' : phase.endedAt !== undefined ? 'done' : 'active'}${phase.sub ? ' sub' : ''}`}
      data-testid={`phase-${phase.name}`}
    >
      <span className="phase-name">{PHASE_LABELS[phase.name] ?? phase.name}</span>
      <div
        className="progress"
        role="progressbar"
        aria-label={PHASE_LABELS[phase.name] ?? phase.name}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
      >
        <div style={{ width: `${fraction * 100}%` }} />
      </div>
      <span className="small muted phase-count" data-testid={`phase-count-${phase.name}`}>
        {phase.stopped
          ? `stopped${phase.step ? ` at ${phase.step}` : phase.total ? ` at ${phase.done ?? 0} / ${phase.total}` : ''}`
          : phase.step && phase.endedAt === undefined
            ? phase.step
            : phase.total
              ? `${phase.done ?? 0} / ${phase.total} ${unit}`
              : phase.endedAt !== undefined
                ? 'done'
                : '…'}
      </span>
      <span className="small muted phase-time">{formatSeconds(seconds)}</span>
    </li>
  );
}

function LiveCharts({ run }: { run: LiveRun }) {
  const series = useMemo(() => Object.entries(run.losses).map(([label, s]) => ({ label, x: s.steps, y: s.values })), [run.losses]);
  const groups = useMemo(() => groupLosses(series), [series]);
  const scales = useMemo(() => Object.values(run.scales), [run.scales]);
  if (series.length === 0 && scales.length === 0) return null;
  return (
    <div className={series.length && scales.length ? 'grid-2' : 'panel'}>
      {series.length > 0 && (
        <div className="card">
          <h3>Loss</h3>
          {groups.map((g) => (
            <div key={g.key} className="field" data-testid={`live-loss-${g.key}`}>
              <h4>
                {g.title} ({g.series.length} series)
              </h4>
              <LineChart series={g.series} xLabel="step" yLabel="loss" logY integerX height={220} ariaLabel={`Live: ${g.title}`} />
            </div>
          ))}
        </div>
      )}
      {scales.length > 0 && (
        <div className="card">
          <h3>Scales so far</h3>
          <ScaleHeatmaps scales={scales} kind={runLabel(run.config).split(' ')[0]} />
        </div>
      )}
    </div>
  );
}
