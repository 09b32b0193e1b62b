// Compare: perplexity of fp32 vs each quantized run, and the deltas per method and bit width.
// Runs are grouped by model, text and sequence length, since only those share an fp32 baseline.
import { useMemo } from 'react';
import type { RunResult } from '../../core/run-types';
import { LineChart, type LineSeries } from '../charts/LineChart';
import { METHOD_LABELS, formatPpl, formatSeconds, formatSigned, runLabel, runSeconds } from '../format';
import { useStudio } from '../store';
import { GenerationCompare } from './GenerationCompare';
import { CompareHighlights } from './CompareHighlights';
import { bestPerBits } from '../compare-highlights';
import { compareWithFp, pplInterval } from '../ppl-stats';

const BITS = [2, 3, 4, 8];

interface Group {
  key: string;
  model: string;
  text: string;
  seqLen: number;
  runs: RunResult[];
}

function groupRuns(runs: RunResult[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of runs) {
    const key = `${r.model}|${r.config.text}|${r.config.seqLen}|${r.config.evalWindows}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, model: r.model, text: r.config.text, seqLen: r.config.seqLen, runs: [] }));
    g.runs.push(r);
  }
  return [...groups.values()];
}

export function ComparePanel() {
  const history = useStudio((s) => s.history);
  const compareIds = useStudio((s) => s.compareIds);
  const selected = compareIds.length > 0;
  const runs = useMemo(
    () => (selected ? history.filter((r) => compareIds.includes(r.id)) : history).filter((r) => r.status === 'done'),
    [history, compareIds, selected],
  );
  const groups = useMemo(() => groupRuns(runs), [runs]);

  return (
    <div className="panel">
      <p className="muted">
        {selected ? `${runs.length} runs picked in History.` : `All ${runs.length} finished runs; pick some in History to narrow this down.`}
      </p>
      {groups.length === 0 && <div className="empty">No finished runs to compare yet.</div>}
      {groups.map((g) => (
        <CompareGroup key={g.key} group={g} />
      ))}
      <GenerationCompare />
    </div>
  );
}

function CompareGroup({ group }: { group: Group }) {
  const fp = median(group.runs.map((r) => r.pplFp));
  const series = useMemo(() => pplByBits(group.runs, fp), [group.runs, fp]);
  const matrix = useMemo(() => deltaMatrix(group.runs), [group.runs]);
  const best = useMemo(() => new Set(bestPerBits(group.runs).flatMap((b) => b.runs.map((r) => `${r.method}|${r.bits}`))), [group.runs]);
  const methods = [...new Set(group.runs.map((r) => r.method))].filter((m) => m !== 'fp');
  return (
    <div className="card" data-testid="compare-group">
      <h3>
        {group.model} · {group.text} · {group.seqLen}-token windows · fp32 perplexity {formatPpl(fp)}
      </h3>
      <table data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col" className="num">
              ppl fp32
            </th>
            <th scope="col" className="num">
              ppl quantized
            </th>
            <th scope="col" className="num">
              Δ ppl
            </th>
            <th scope="col" className="num">
              Δ %
            </th>
            <th scope="col" className="num">
              Tokens scored
            </th>
            <th scope="col" className="num">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {group.runs.map((r) => {
            const d = r.pplQuant - r.pplFp;
            return (
              <tr key={r.id}>
                <td>
                  {runLabel(r)} <span className="small muted mono">{r.id}</span>
                </td>
                <td className="num">
                  {formatPpl(r.pplFp)}
                  <Interval windowNll={r.windowNll?.fp} />
                </td>
                <td className="num">
                  {formatPpl(r.pplQuant)}
                  <Interval windowNll={r.windowNll?.quant} />
                  {compareWithFp(r)?.beatsFpBeyondNoise && (
                    <div className="small worse" data-testid="beats-fp" title="Quantization rarely improves a model: the text may not match it">
                      below fp32 beyond the noise
                    </div>
                  )}
                </td>
                <td className={`num ${d > 0 ? 'worse' : 'better'}`} data-testid="delta">
                  {formatSigned(d)}
                </td>
                <td className={`num ${d > 0 ? 'worse' : 'better'}`}>{formatSigned((100 * d) / r.pplFp, 1)}%</td>
                <td className="num" data-testid="eval-tokens">
                  {r.evalTokens ? r.evalTokens.toLocaleString('en-US') : '–'}
                </td>
                <td className="num">{formatSeconds(runSeconds(r))}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {methods.length > 0 && (
        <div className="grid-2">
          <div>
            <h4 style={{ marginBottom: 6 }}>Δ perplexity by method and bit width (latest run each)</h4>
            <table data-testid="delta-matrix">
              <thead>
                <tr>
                  <th scope="col">Method</th>
                  {BITS.map((b) => (
                    <th key={b} scope="col" className="num">
                      W{b}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {methods.map((m) => (
                  <tr key={m}>
                    <th scope="row">{METHOD_LABELS[m]}</th>
                    {BITS.map((b) => {
                      const d = matrix.get(`${m}|${b}`);
                      const isBest = best.has(`${m}|${b}`);
                      return (
                        <td
                          key={b}
                          className={`num ${d === undefined ? 'muted' : d > 0 ? 'worse' : 'better'}${isBest ? ' best' : ''}`}
                          data-best={isBest || undefined}
                          title={isBest ? `best at W${b}` : undefined}
                        >
                          {d === undefined ? '–' : formatSigned(d)}
                          {isBest && (
                            <>
                              <span aria-hidden="true"> ★</span>
                              <span className="visually-hidden">, best at W{b}</span>
                            </>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div>
            <CompareHighlights runs={group.runs} />
            <LineChart
              series={series}
              xLabel="weight bits"
              yLabel="perplexity"
              logY
              integerX
              height={220}
              ariaLabel="Perplexity against weight bits for each method, with the fp32 baseline"
            />
          </div>
        </div>
      )}
    </div>
  );
}

/** The 95% interval under a perplexity, from its windows (runs saved before they were kept have none). */
function Interval({ windowNll }: { windowNll?: number[] }) {
  const i = pplInterval(windowNll);
  if (!i) return null;
  return (
    <div className="small muted" data-testid="ppl-interval" title="95% interval from the spread of the evaluation windows">
      {formatPpl(i.lo)}–{formatPpl(i.hi)}
    </div>
  );
}

function median(xs: number[]): number {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
}

/** Latest run per (method, bits): Δ ppl. Runs come newest first from History. */
function deltaMatrix(runs: RunResult[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.method}|${r.bits}`;
    if (!out.has(key)) out.set(key, r.pplQuant - r.pplFp);
  }
  return out;
}

function pplByBits(runs: RunResult[], fp: number): LineSeries[] {
  const methods = [...new Set(runs.map((r) => r.method))].filter((m) => m !== 'fp');
  const series: LineSeries[] = methods.map((m) => {
    const latest = new Map<number, number>();
    for (const r of runs) if (r.method === m && !latest.has(r.bits)) latest.set(r.bits, r.pplQuant);
    const bits = [...latest.keys()].sort((a, b) => a - b);
    return { label: METHOD_LABELS[m], x: bits, y: bits.map((b) => latest.get(b)!), points: true };
  });
  const allBits = [...new Set(runs.map((r) => r.bits))].sort((a, b) => a - b);
  if (allBits.length) series.push({ label: 'fp32', x: allBits, y: allBits.map(() => fp), dash: [6, 4], color: '#1b2430' });
  return series;
}
