// Line charts (loss curves, perplexity) with uPlot: it draws on one <canvas>, handles tens of
// thousands of points per series at interactive speed and updates in place with setData, where
// SVG chart libraries re-render a DOM node per point and stall on long live loss curves.
import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { seriesColor } from './palette';

export interface LineSeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dash?: number[];
  /** Draw a marker at every point (short series). */
  points?: boolean;
}

export interface LineChartProps {
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  height?: number;
  logY?: boolean;
  /** Ticks only at whole numbers on x (blocks, bit widths). */
  integerX?: boolean;
  /** Accessible summary of what the chart shows. */
  ariaLabel: string;
}

/** uPlot wants one shared x array: merge the series' x values and leave gaps (null) where a series has none. */
export function alignSeries(series: LineSeries[]): uPlot.AlignedData {
  if (series.length === 0) return [[]];
  const first = series[0].x;
  const shared = series.every((s) => s.x === first || sameValues(s.x, first));
  if (shared) return [Array.from(first), ...series.map((s) => Array.from(s.y))];
  const xs = [...new Set(series.flatMap((s) => Array.from(s.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    for (let i = 0; i < s.x.length; i++) col[index.get(s.x[i])!] = s.y[i];
    return col;
  });
  return [xs, ...ys];
}

function lastValue(ys: ArrayLike<number | null | undefined>): number | null {
  for (let i = ys.length - 1; i >= 0; i--) {
    const v = ys[i];
    if (v != null && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * The hovered values in a box beside the pointer, inside the plot (the legend under the chart is far
 * from it): the x value and each shown series' value at the hovered index.
 */
function placeTip(u: uPlot, xLabel: string): void {
  let tip = u.over.querySelector<HTMLDivElement>('.chart-tip');
  if (!tip) {
    tip = document.createElement('div');
    tip.className = 'chart-tip';
    tip.setAttribute('aria-hidden', 'true');
    tip.dataset.testid = 'chart-tip';
    Object.assign(tip.style, {
      position: 'absolute',
      pointerEvents: 'none',
      zIndex: '20',
      background: '#1b2430',
      color: '#fff',
      font: '12px var(--mono)',
      padding: '3px 6px',
      borderRadius: '4px',
      whiteSpace: 'pre',
    });
    u.over.append(tip);
  }
  const { idx, left, top } = u.cursor;
  if (idx == null || left == null || top == null || left < 0) {
    tip.style.display = 'none';
    return;
  }
  const lines = [`${xLabel} ${legendNumber(u.data[0][idx])}`];
  u.series.forEach((s, i) => {
    const v = i > 0 && s.show !== false ? u.data[i][idx] : null;
    if (v != null && Number.isFinite(v)) lines.push(`${typeof s.label === 'string' ? s.label : `series ${i}`}: ${legendNumber(v)}`);
  });
  tip.textContent = lines.join('\n');
  tip.style.display = 'block';
  const w = tip.offsetWidth;
  const overW = u.over.clientWidth;
  tip.style.left = `${left + 12 + w > overW ? Math.max(0, left - 12 - w) : left + 12}px`;
  tip.style.top = `${top + 12}px`;
}

/** Four significant digits; a blank where a series has no value. */
export function legendNumber(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '';
  return Math.abs(v) >= 0.01 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function LineChart({ series, xLabel, yLabel, height = 240, logY = false, integerX = false, ariaLabel }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // Rebuild the chart only when the set of series changes; new points go through setData.
  const shape = series.map((s) => `${s.label}|${s.color ?? ''}|${s.points ? 1 : 0}|${s.dash?.join(',') ?? ''}`).join(';');
  const data = useMemo(() => alignSeries(series), [series]);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: false, ...(integerX ? { range: (_u, lo, hi) => [lo - 0.5, hi + 0.5] as uPlot.Range.MinMax } : {}) }, y: logY ? { distr: 3 } : {} },
      axes: [
        {
          label: xLabel,
          stroke: '#5d6978',
          grid: { stroke: '#eceff3' },
          ticks: { stroke: '#dde1e6' },
          ...(integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] } : {}),
        },
        { label: yLabel, stroke: '#5d6978', grid: { stroke: '#eceff3' }, ticks: { stroke: '#dde1e6' }, size: 60 },
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: { setCursor: [(u: uPlot) => placeTip(u, xLabel)] },
      // Not hovering: each series shows its latest value (not a row of "--").
      series: [
        { label: xLabel, value: (_u: uPlot, v: number | null, _s: number, idx: number | null) => (idx == null ? 'latest' : legendNumber(v)) },
        ...series.map((s, i) => ({
          label: s.label,
          value: (u: uPlot, v: number | null, sidx: number, idx: number | null) => legendNumber(idx == null ? lastValue(u.data[sidx]) : v),
          stroke: s.color ?? seriesColor(i),
          width: 1.5,
          dash: s.dash,
          spanGaps: true,
          points: { show: s.points ?? false, size: 6 },
        })),
      ],
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // data is applied by the effect below after creation; including it here would rebuild per point.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, xLabel, yLabel, height, logY, integerX]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return <div className="chart" ref={box} role="img" aria-label={ariaLabel} />;
}
