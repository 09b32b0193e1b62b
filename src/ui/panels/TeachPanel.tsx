// Teach: a guided walk through one row group of one Linear of the run the engine holds (the latest
// finished run), for classroom demos: the weights on the quantization grid, the method's scaling,
// the codes against round-to-nearest, and the output error, each step in one sentence with the
// run's real numbers.
import { useEffect, useId, useRef, useState } from 'react';
import type { RunResult } from '../../core/run-types';
import { toEngineFailure, type TeachData, type TeachLayerInfo } from '../../worker/protocol';
import { engine } from '../engine-client';
import { METHOD_LABELS, formatSci, runLabel } from '../format';
import { useStudio } from '../store';

const STEPS = ['Weights on the grid', "The method's scale", 'Codes vs nearest', 'Output error'] as const;

/** Three significant digits, without exponent for the sizes weights have. */
function num(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

function clampInt(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : lo;
}

export function TeachPanel() {
  const history = useStudio((s) => s.history);
  const [held, setHeld] = useState<{ runId: string; layers: TeachLayerInfo[] } | null | undefined>(undefined);
  const [layer, setLayer] = useState('');
  const [row, setRow] = useState(0);
  const [group, setGroup] = useState(0);
  const [data, setData] = useState<TeachData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [step, setStep] = useState(0);
  // Where the layer opened: the group with the most flips (so step 3 has some to show), unless the
  // person has typed a row or group since the layer was picked.
  const [pick, setPick] = useState<{ layer: string; found: { row: number; group: number; flips: number } | null } | null>(null);
  const touched = useRef(false);
  const ids = { layer: useId(), row: useId(), group: useId() };

  useEffect(() => {
    void engine()
      .teachLayers()
      .then(
        (h) => {
          setHeld(h);
          // A layer picked in Inspect (a click on a heatmap cell) wins over the one shown before.
          const wanted = useStudio.getState().teachLayer;
          if (h && h.layers.length)
            setLayer((l) => (wanted && h.layers.some((x) => x.name === wanted) ? wanted : h.layers.some((x) => x.name === l) ? l : h.layers[0].name));
        },
        () => setHeld(null),
      );
  }, [history.length]);

  const info = held?.layers.find((l) => l.name === layer);
  const r = info ? clampInt(row, 0, info.rows - 1) : 0;
  const g = info ? clampInt(group, 0, info.groups - 1) : 0;

  const layerName = info?.name;
  useEffect(() => {
    if (!layerName) return;
    let live = true;
    touched.current = false;
    engine()
      .teachFlippedGroup(layerName)
      .then(
        (found) => {
          if (!live) return;
          setPick({ layer: layerName, found });
          if (found && !touched.current) {
            setRow(found.row);
            setGroup(found.group);
          }
        },
        () => live && setPick(null),
      );
    return () => {
      live = false;
    };
  }, [layerName]);

  useEffect(() => {
    if (!info) return;
    let live = true;
    engine()
      .teachLayer({ layer: info.name, row: r, group: g })
      .then(
        (d) => live && (setData(d), setError(null)),
        (e: unknown) => live && (setData(null), setError(toEngineFailure(e).message)),
      );
    return () => {
      live = false;
    };
  }, [info, r, g]);

  if (held === undefined) return <div className="empty">Asking the engine for the latest run…</div>;
  if (!held || !held.layers.length)
    return <div className="empty">Nothing to teach yet: finish a quantization run in this session (Teach reads the codes the engine holds).</div>;

  const run = history.find((h) => h.id === held.runId) ?? null;

  return (
    <div className="panel">
      <div className="card">
        <p className="muted small">
          Run {run ? runLabel(run) : ''} <code>{held.runId}</code>: pick one row group of one layer to walk through.
        </p>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <div className="field" style={{ flex: '1 1 240px' }}>
            <label htmlFor={ids.layer}>Layer</label>
            <select id={ids.layer} value={layer} onChange={(e) => setLayer(e.target.value)}>
              {held.layers.map((l) => (
                <option key={l.name} value={l.name}>
                  {l.name} ({l.rows}×{l.cols}, {l.groups} groups per row{l.actOrder ? ', act-order' : ''})
                </option>
              ))}
            </select>
          </div>
          <div className="field" style={{ width: 130 }}>
            <label htmlFor={ids.row}>Row (0–{(info?.rows ?? 1) - 1})</label>
            <input
              id={ids.row}
              type="number"
              min={0}
              max={(info?.rows ?? 1) - 1}
              value={row}
              onChange={(e) => {
                touched.current = true;
                setRow(Number(e.target.value));
              }}
            />
          </div>
          <div className="field" style={{ width: 130 }}>
            <label htmlFor={ids.group}>Group (0–{(info?.groups ?? 1) - 1})</label>
            <input
              id={ids.group}
              type="number"
              min={0}
              max={(info?.groups ?? 1) - 1}
              value={group}
              onChange={(e) => {
                touched.current = true;
                setGroup(Number(e.target.value));
              }}
            />
          </div>
        </div>
        {pick && pick.layer === layer && (
          <p className="small muted" data-testid="teach-pick">
            {pick.found
              ? `Opened on row ${pick.found.row}, group ${pick.found.group}: the group of this layer with the most codes off round-to-nearest (${pick.found.flips} flips).`
              : 'Every code of this layer is the nearest level (no flips): any group shows the same story.'}
          </p>
        )}
      </div>
      {error && <div className="notice error">{error}</div>}
      {data && (
        <div className="card" data-testid="teach-step" data-step={step + 1}>
          {/* The steps are buttons: any step opens with a click, as Back and Next do one at a time. */}
          <ol className="row" aria-label="Steps" style={{ listStyle: 'none', padding: 0, margin: '0 0 8px', gap: 8 }}>
            {STEPS.map((s, i) => (
              <li key={s}>
                <button type="button" aria-current={i === step ? 'step' : undefined} onClick={() => setStep(i)} style={{ fontWeight: i === step ? 700 : 400 }}>
                  {i + 1}. {s}
                </button>
              </li>
            ))}
          </ol>
          <h3>
            Step {step + 1} of {STEPS.length}: {STEPS[step]}
          </h3>
          <p data-testid="teach-explanation" aria-live="polite" style={{ fontSize: 15 }}>
            {explain(step, data, run, history)}
          </p>
          {step === 3 ? <ErrorPlot data={data} /> : <GridPlot data={data} step={step} />}
          {step === 2 && <CodesTable data={data} />}
          <div className="row" style={{ marginTop: 10 }}>
            <button type="button" className="button" onClick={() => setStep((s) => s - 1)} disabled={step === 0}>
              ← Back
            </button>
            <button type="button" className="button" onClick={() => setStep((s) => s + 1)} disabled={step === STEPS.length - 1}>
              Next →
            </button>
          </div>
        </div>
      )}
    </div>
  );
}

function flipsOf(d: TeachData): { up: number; down: number } {
  let up = 0;
  let down = 0;
  d.codes.forEach((c, i) => {
    if (c > d.nearest[i]) up++;
    else if (c < d.nearest[i]) down++;
  });
  return { up, down };
}

function blockOf(layer: string): number | null {
  const m = /\.(\d+)\./.exec(layer);
  return m ? Number(m[1]) : null;
}

/** Up to eight column numbers, then how many more: the members of an act-order group are scattered. */
function columnList(columns: number[]): string {
  return columns.length <= 8 ? columns.join(', ') : `${columns.slice(0, 8).join(', ')}, … ${columns.length - 8} more`;
}

/** The one-sentence explanation of a step, with the run's numbers. */
function explain(step: number, d: TeachData, run: RunResult | null, history: RunResult[]): string {
  const n = d.original.length;
  const levels = 2 ** d.spec.bits;
  const lo = (0 - d.zero) * d.scale;
  const hi = (levels - 1 - d.zero) * d.scale;
  const method = run ? METHOD_LABELS[run.method] : 'The method';
  const cols = d.actOrder ? `the ${n} columns of act-order group ${d.group} (${columnList(d.columns)})` : `columns ${d.col0}–${d.col0 + n - 1}`;
  switch (step) {
    case 0:
      return `Row ${d.row}, ${cols} of ${d.layer} hold ${n} weights between ${num(Math.min(...d.original))} and ${num(Math.max(...d.original))}; the ${d.spec.bits}-bit grid has ${levels} levels (k − ${d.zero}) × ${num(d.scale)}, from ${num(lo)} to ${num(hi)}, and every weight must land on one of them (this is the grid the run stored).`;
    case 1: {
      const ratios = d.ratio.filter((_, i) => d.original[i] !== 0);
      const rmin = Math.min(...ratios);
      const rmax = Math.max(...ratios);
      if (!ratios.length || (Math.abs(rmin - 1) < 1e-6 && Math.abs(rmax - 1) < 1e-6))
        return `${method} did not rescale this group: the ${n} weights enter the quantizer unchanged, so the grid (step ${num(d.scale)}) has to fit them as they are.`;
      return `${method} multiplied these ${n} columns by ${num(rmin)} to ${num(rmax)} (the inputs are divided by the same factors, so the output is unchanged), moving the weights to ${num(Math.min(...d.transformed))}…${num(Math.max(...d.transformed))} so that important channels use more of the ${levels} levels.`;
    }
    case 2: {
      const { up, down } = flipsOf(d);
      const errChosen = d.transformed.reduce((a, w, i) => a + Math.abs(w - d.dequantized[i]), 0) / n;
      const errNearest = d.transformed.reduce((a, w, i) => a + Math.abs(w - (d.nearest[i] - d.zero) * d.scale), 0) / n;
      if (up + down === 0)
        return `All ${n} entries are stored at their nearest level (0 flips), with a mean distance of ${num(errChosen)} to the weight; round-to-nearest is what ${method} keeps here.`;
      return `${method} stored ${up + down} of ${n} entries on a level other than the nearest (${up} rounded up ↑, ${down} down ↓): the mean weight error goes from ${errNearest.toPrecision(4)} to ${errChosen.toPrecision(4)}, a price paid to lower the layer's output error.`;
    }
    default: {
      if (!run) return `The run ${d.layer} belongs to is not in History, so its errors cannot be shown.`;
      const le = run.layerErrors.find((e) => e.layer === d.layer);
      const b = blockOf(d.layer);
      const be = run.blockErrors.find((e) => e.block === b);
      const rtn = history.find(
        (h) =>
          h.id !== run.id &&
          h.method === 'rtn' &&
          h.status === 'done' &&
          h.model === run.model &&
          h.bits === run.bits &&
          h.groupSize === run.groupSize &&
          h.symmetric === run.symmetric,
      );
      const own = `${d.layer} has a relative output error ||Wx − Q(W)x||²/||Wx||² of ${le ? formatSci(le.relMse) : '–'} on the calibration inputs, and block ${b ?? '?'} as a whole ${be ? formatSci(be.relMse) : '–'}`;
      if (run.method === 'rtn') return `${own}: this is round-to-nearest itself, the baseline the other methods try to beat.`;
      const rl = rtn?.layerErrors.find((e) => e.layer === d.layer);
      const rb = rtn?.blockErrors.find((e) => e.block === b);
      if (!rtn || !rl) return `${own}; run RTN W${run.bits} g${run.groupSize || '∞'} on the same model to compare it with round-to-nearest.`;
      const factor = le ? rl.relMse / le.relMse : NaN;
      return `${own}, against ${formatSci(rl.relMse)} and ${rb ? formatSci(rb.relMse) : '–'} with plain RTN at the same bits: ${factor >= 1 ? `${num(factor)}× lower` : `${num(1 / factor)}× higher`} for this layer.`;
    }
  }
}

const W = 1040;
const H = 190;
const PAD = 36;

/** The group on a number line: the grid's levels as ticks, the weights of the step as dots. */
function GridPlot({ data: d, step }: { data: TeachData; step: number }) {
  const levels = 2 ** d.spec.bits;
  const grid = Array.from({ length: levels }, (_, k) => (k - d.zero) * d.scale);
  const shown = step === 0 ? d.original : d.transformed;
  const all = [...grid, ...d.original, ...d.transformed];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-12) {
    lo -= 1;
    hi += 1;
  }
  const x = (v: number) => PAD + ((v - lo) / (hi - lo)) * (W - 2 * PAD);
  const axisY = 120;
  // Dots stacked in lanes so neighbours stay visible.
  const lane = (i: number) => axisY - 22 - (i % 5) * 16;
  const labelEvery = Math.ceil(levels / 16);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`${shown.length} weights and the ${levels} levels of the quantization grid`}
      data-testid="teach-grid"
      style={{ display: 'block', background: '#fafbfc', border: '1px solid var(--border)', borderRadius: 6 }}
    >
      <line x1={PAD} x2={W - PAD} y1={axisY} y2={axisY} stroke="#8a94a3" />
      {grid.map((v, k) => (
        <g key={k} data-testid="grid-level">
          <line x1={x(v)} x2={x(v)} y1={20} y2={axisY + 6} stroke={k === d.zero ? '#3451c7' : '#c6ccd5'} strokeDasharray={k === d.zero ? undefined : '3 3'} />
          {k % labelEvery === 0 && (
            <text x={x(v)} y={axisY + 20} fontSize={11} textAnchor="middle" fill="#5d6978">
              {k}
            </text>
          )}
        </g>
      ))}
      <text x={PAD} y={axisY + 40} fontSize={11} fill="#5d6978">
        code k; level = (k − {d.zero}) × {num(d.scale)} · from {num(grid[0])} to {num(grid[levels - 1])}
      </text>
      {shown.map((w, i) => {
        const flip = d.codes[i] - d.nearest[i];
        const chosen = d.dequantized[i];
        const color = step === 2 && flip !== 0 ? '#b42318' : step === 0 ? '#1b2430' : '#3451c7';
        return (
          <g key={i}>
            {step >= 2 && <line x1={x(w)} x2={x(chosen)} y1={lane(i)} y2={axisY} stroke={color} strokeWidth={flip !== 0 ? 1.8 : 0.8} opacity={0.8} />}
            <circle cx={x(w)} cy={lane(i)} r={4} fill={color}>
              <title>
                column {d.columns[i]}: {num(w)}
                {step >= 2 ? ` → code ${d.codes[i]} (nearest ${d.nearest[i]})` : ''}
              </title>
            </circle>
            {step === 2 && flip !== 0 && (
              <text x={x(w)} y={lane(i) - 7} fontSize={12} textAnchor="middle" fill={color}>
                {flip > 0 ? '↑' : '↓'}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

/**
 * Step 4's picture: each weight's error w − ŵ as stored (bars), against what round-to-nearest
 * would leave (outlines), around zero; the columns whose code flipped are red.
 */
function ErrorPlot({ data: d }: { data: TeachData }) {
  const n = d.transformed.length;
  const stored = d.transformed.map((w, i) => w - d.dequantized[i]);
  const nearest = d.transformed.map((w, i) => w - (d.nearest[i] - d.zero) * d.scale);
  const top = Math.max(1e-12, ...stored.map(Math.abs), ...nearest.map(Math.abs));
  const mid = 95;
  const y = (v: number) => mid - (v / top) * 70;
  const slot = (W - 2 * PAD) / n;
  const bar = Math.max(2, slot * 0.6);
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`The weight error of each of the ${n} entries as stored, against round-to-nearest's`}
      data-testid="teach-error-plot"
      style={{ display: 'block', background: '#fafbfc', border: '1px solid var(--border)', borderRadius: 6 }}
    >
      <line x1={PAD} x2={W - PAD} y1={mid} y2={mid} stroke="#8a94a3" />
      <text x={4} y={y(top) + 4} fontSize={11} fill="#5d6978">
        +{num(top)}
      </text>
      <text x={4} y={y(-top) + 4} fontSize={11} fill="#5d6978">
        −{num(top)}
      </text>
      {stored.map((e, i) => {
        const x0 = PAD + i * slot + (slot - bar) / 2;
        const flip = d.codes[i] !== d.nearest[i];
        return (
          <g key={i}>
            <rect x={x0} width={bar} y={Math.min(y(e), mid)} height={Math.abs(y(e) - mid)} fill={flip ? '#b42318' : '#3451c7'} opacity={0.85}>
              <title>
                column {d.col0 + i}: error {num(e)} as stored, {num(nearest[i])} at the nearest level
              </title>
            </rect>
            <rect
              x={x0}
              width={bar}
              y={Math.min(y(nearest[i]), mid)}
              height={Math.abs(y(nearest[i]) - mid)}
              fill="none"
              stroke="#5d6978"
              strokeDasharray="2 2"
            />
          </g>
        );
      })}
      <text x={PAD} y={H - 12} fontSize={11} fill="#5d6978">
        weight error w − ŵ per column ({d.col0}–{d.col0 + n - 1}): bars as stored (red where the code flipped), dashed outlines at the nearest level
      </text>
    </svg>
  );
}

/** Each entry's chosen code against the nearest one, flips marked; 16 columns a line to fit the card. */
function CodesTable({ data: d }: { data: TeachData }) {
  const per = 16;
  const starts = Array.from({ length: Math.ceil(d.codes.length / per) }, (_, i) => i * per);
  const cell = { padding: '2px 3px', textAlign: 'right' as const };
  return (
    <div style={{ overflowX: 'auto', marginTop: 8 }}>
      <table className="table mono" data-testid="teach-codes" style={{ fontSize: 11 }}>
        {starts.map((a) => {
          const idx = d.codes.slice(a, a + per).map((_, j) => a + j);
          return (
            <tbody key={a}>
              <tr>
                <th scope="row" style={cell}>
                  column
                </th>
                {idx.map((i) => (
                  <td key={i} style={{ ...cell, color: 'var(--muted)' }}>
                    {d.columns[i]}
                  </td>
                ))}
              </tr>
              <tr>
                <th scope="row" style={cell}>
                  weight
                </th>
                {idx.map((i) => (
                  <td key={i} style={cell}>
                    {num(d.transformed[i])}
                  </td>
                ))}
              </tr>
              <tr>
                <th scope="row" style={cell}>
                  nearest
                </th>
                {idx.map((i) => (
                  <td key={i} style={cell}>
                    {d.nearest[i]}
                  </td>
                ))}
              </tr>
              <tr style={{ borderBottom: '2px solid var(--border)' }}>
                <th scope="row" style={cell}>
                  stored
                </th>
                {idx.map((i) => {
                  const f = d.codes[i] - d.nearest[i];
                  return (
                    <td key={i} className={f ? 'worse' : undefined} style={f ? { ...cell, fontWeight: 700 } : cell}>
                      {d.codes[i]}
                      {f > 0 ? ' ↑' : f < 0 ? ' ↓' : ''}
                    </td>
                  );
                })}
              </tr>
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
