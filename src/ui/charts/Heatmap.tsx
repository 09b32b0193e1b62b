// A rows x columns heatmap painted straight into a <canvas> through ImageData: 30 layers x 1536
// channels is 46k cells, far too many DOM/SVG nodes but one cheap pass over a typed array here.
import { useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { colorAt, colorTable, type ColorMap } from './palette';

export interface HeatmapProps {
  rows: number;
  cols: number;
  /** Row-major, rows*cols values; NaN marks a cell with no value (painted light grey). */
  values: ArrayLike<number>;
  rowLabel: (row: number) => string;
  colLabel: (col: number) => string;
  /** 'diverging-log': values around 1 on a log axis (scales); 'linear' / 'log': viridis magnitudes. */
  scale: 'diverging-log' | 'linear' | 'log';
  /** Display height in CSS pixels (default: 10 px per row, clamped). */
  height?: number;
  ariaLabel: string;
  format?: (v: number) => string;
  /** A colour domain shared with other heatmaps (from findDomain over all their values). */
  domain?: Domain;
  /** Axis titles ("block", "layer"); rows are labelled on the side when there are few enough. */
  rowAxis?: string;
  colAxis?: string;
  /** A click on a cell (e.g. open that layer in Teach); the readout says what a click does. */
  onCellClick?: (row: number, col: number) => void;
  clickHint?: string;
}

/** Row labels on the side when each row has room for one (at least 9 px) and there are at most this many. */
const MAX_LABELLED_ROWS = 48;

export interface Domain {
  lo: number;
  hi: number;
}

function transform(scale: HeatmapProps['scale'], v: number): number {
  return scale === 'linear' ? v : v > 0 ? Math.log10(v) : Number.NaN;
}

export function findDomain(scale: HeatmapProps['scale'], values: ArrayLike<number>): Domain {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const t = transform(scale, values[i]);
    if (!Number.isFinite(t)) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  if (scale === 'diverging-log') {
    const m = Math.max(Math.abs(lo), Math.abs(hi), 1e-6); // symmetric around log(1) = 0
    return { lo: -m, hi: m };
  }
  return hi > lo ? { lo, hi } : { lo: lo - 0.5, hi: hi + 0.5 };
}

const fmtDefault = (v: number) => (Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(4) : v.toExponential(3));

export function Heatmap(props: HeatmapProps) {
  const { rows, cols, values, scale, ariaLabel, rowLabel, colLabel } = props;
  const format = props.format ?? fmtDefault;
  const height = props.height ?? Math.min(420, Math.max(60, rows * 10));
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const [readout, setReadout] = useState('');
  // The value also floats beside the pointer: the readout row under a wide heatmap is far from it.
  const [tip, setTip] = useState<{ x: number; y: number } | null>(null);
  const ownDomain = useMemo(() => findDomain(scale, values), [scale, values]);
  const domain = props.domain ?? ownDomain;
  const map: ColorMap = scale === 'diverging-log' ? 'diverging' : 'viridis';

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = canvas.current;
    if (!el || width === 0 || rows === 0 || cols === 0) return;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(width * dpr);
    el.height = Math.round(height * dpr);
    // One image column per display pixel at most; when columns outnumber pixels, each pixel shows
    // the most extreme value of its bin, so a single outlier channel stays visible.
    const imgW = Math.min(cols, el.width);
    const img = new ImageData(imgW, rows);
    const lut = colorTable(map);
    const span = domain.hi - domain.lo;
    const centre = scale === 'diverging-log' ? 0 : domain.lo;
    for (let r = 0; r < rows; r++) {
      for (let px = 0; px < imgW; px++) {
        const c0 = Math.floor((px * cols) / imgW);
        const c1 = Math.max(c0 + 1, Math.floor(((px + 1) * cols) / imgW));
        let best = Number.NaN;
        for (let c = c0; c < c1; c++) {
          const t = transform(scale, values[r * cols + c]);
          if (Number.isFinite(t) && (Number.isNaN(best) || Math.abs(t - centre) > Math.abs(best - centre))) best = t;
        }
        const o = (r * imgW + px) * 4;
        if (Number.isNaN(best)) {
          img.data.set([230, 232, 236, 255], o);
        } else {
          const k = Math.round(((best - domain.lo) / span) * 255) * 4;
          img.data.set(lut.subarray(k, k + 4), o);
        }
      }
    }
    const off = new OffscreenCanvas(imgW, rows);
    off.getContext('2d')!.putImageData(img, 0, 0);
    const ctx = el.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, el.width, el.height);
    ctx.drawImage(off, 0, 0, el.width, el.height);
  }, [values, rows, cols, width, height, domain, map, scale]);

  function cellAt(e: MouseEvent<HTMLCanvasElement>): [number, number] | null {
    const rect = e.currentTarget.getBoundingClientRect();
    const c = Math.min(cols - 1, Math.floor(((e.clientX - rect.left) / rect.width) * cols));
    const r = Math.min(rows - 1, Math.floor(((e.clientY - rect.top) / rect.height) * rows));
    return c < 0 || r < 0 ? null : [r, c];
  }
  function onMove(e: MouseEvent<HTMLCanvasElement>) {
    const cell = cellAt(e);
    if (!cell) return;
    const [r, c] = cell;
    const v = values[r * cols + c];
    setTip({ x: e.clientX, y: e.clientY });
    setReadout(
      `${rowLabel(r)}, ${colLabel(c)}: ${Number.isNaN(v) ? 'no value' : format(v)}${props.onCellClick && props.clickHint ? ` · ${props.clickHint}` : ''}`,
    );
  }
  const labelled = rows <= MAX_LABELLED_ROWS && height / rows >= 9;

  const untransform = (t: number) => (scale === 'linear' ? t : 10 ** t);
  return (
    <div className="heatmap">
      <div className="heatmap-body">
        {props.rowAxis && <span className="heatmap-axis heatmap-row-axis">{props.rowAxis}</span>}
        {labelled && (
          <div className="heatmap-rows" style={{ height }} aria-hidden="true" data-testid="heatmap-row-labels">
            {Array.from({ length: rows }, (_, r) => (
              <span key={r} style={{ height: height / rows, lineHeight: `${height / rows}px` }}>
                {rowLabel(r).replace(/^block /, '')}
              </span>
            ))}
          </div>
        )}
        <canvas
          ref={canvas}
          style={{ height, cursor: props.onCellClick ? 'pointer' : undefined }}
          role="img"
          aria-label={ariaLabel}
          onMouseMove={onMove}
          onMouseLeave={() => {
            setReadout('');
            setTip(null);
          }}
          onClick={(e) => {
            const cell = props.onCellClick && cellAt(e);
            if (cell) props.onCellClick!(cell[0], cell[1]);
          }}
          data-rows={rows}
          data-cols={cols}
        />
      </div>
      {tip && readout && <HoverTip x={tip.x} y={tip.y} text={readout} />}
      {props.colAxis && <span className="heatmap-axis heatmap-col-axis">{props.colAxis}</span>}
      <div className="row">
        <ColorLegend map={map} lo={format(untransform(domain.lo))} hi={format(untransform(domain.hi))} mid={scale === 'diverging-log' ? '1' : undefined} />
        <span className="spacer" />
        <span className="readout" aria-live="off">
          {readout || 'Point at a cell to read its value.'}
        </span>
      </div>
    </div>
  );
}

export function ColorLegend({ map, lo, hi, mid }: { map: ColorMap; lo: string; hi: string; mid?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.width = 160;
    el.height = 1;
    const ctx = el.getContext('2d')!;
    for (let x = 0; x < 160; x++) {
      const [r, g, b] = colorAt(map, x / 159);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, 1);
    }
  }, [map]);
  return (
    <span className="legend">
      <span>{lo}</span>
      <span style={{ position: 'relative', display: 'inline-flex' }}>
        <canvas ref={ref} aria-hidden="true" />
        {mid && <span style={{ position: 'absolute', left: '50%', top: 10, transform: 'translateX(-50%)', fontSize: 10 }}>{mid}</span>}
      </span>
      <span>{hi}</span>
    </span>
  );
}

/** A small box just below-right of the pointer (left of it near the window's right edge). */
export function HoverTip({ x, y, text }: { x: number; y: number; text: string }) {
  const flip = typeof window !== 'undefined' && x > window.innerWidth - 320;
  return (
    <div
      className="hover-tip"
      data-testid="hover-tip"
      aria-hidden="true"
      style={{
        position: 'fixed',
        top: y + 14,
        ...(flip ? { right: window.innerWidth - x + 14 } : { left: x + 14 }),
        pointerEvents: 'none',
        zIndex: 20,
        background: '#1b2430',
        color: '#fff',
        font: '12px var(--mono)',
        padding: '3px 6px',
        borderRadius: 4,
        maxWidth: 300,
        whiteSpace: 'pre-line',
      }}
    >
      {text}
    </div>
  );
}
