// A histogram on <canvas>: binning thousands of values is a loop over a typed array, and the
// bars are one fillRect each.
import { useEffect, useMemo, useRef, useState } from 'react';

export interface HistogramProps {
  values: ArrayLike<number>;
  bins?: number;
  /** Bin on log10(v) (positive values only), as for multiplicative scales. */
  logX?: boolean;
  xLabel: string;
  height?: number;
  ariaLabel: string;
}

export interface Bins {
  lo: number;
  hi: number;
  counts: number[];
}

/** Equal-width bins over [min, max] of the (optionally log10) finite values. */
export function binValues(values: ArrayLike<number>, bins: number, logX: boolean): Bins {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = logX ? (values[i] > 0 ? Math.log10(values[i]) : Number.NaN) : values[i];
    if (Number.isFinite(v)) xs.push(v);
  }
  if (xs.length === 0) return { lo: 0, hi: 1, counts: new Array(bins).fill(0) };
  // A loop, not Math.min(...xs): spreading 100k+ arguments overflows the stack.
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of xs) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const counts = new Array(bins).fill(0);
  for (const x of xs) counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
  return { lo, hi, counts };
}

export function Histogram({ values, bins = 60, logX = false, xLabel, height = 140, ariaLabel }: HistogramProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(0);
  const b = useMemo(() => binValues(values, bins, logX), [values, bins, logX]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (!el || width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    el.width = Math.round(width * dpr);
    el.height = Math.round(height * dpr);
    const ctx = el.getContext('2d')!;
    ctx.scale(dpr, dpr);
    ctx.clearRect(0, 0, width, height);
    const max = Math.max(1, ...b.counts);
    const barW = width / b.counts.length;
    ctx.fillStyle = '#4e79a7';
    b.counts.forEach((c, i) => {
      const h = (c / max) * (height - 4);
      ctx.fillRect(i * barW + 0.5, height - h, Math.max(1, barW - 1), h);
    });
    if (logX && b.lo < 0 && b.hi > 0) {
      // Mark scale 1 (log 0): the value that leaves a channel unchanged.
      const x = ((0 - b.lo) / (b.hi - b.lo)) * width;
      ctx.fillStyle = '#b42318';
      ctx.fillRect(x, 0, 1, height);
    }
  }, [b, width, height, logX]);

  // Enough digits that the two ends differ even over a narrow range (scales of 0.997..1.003).
  const lo = logX ? 10 ** b.lo : b.lo;
  const hi = logX ? 10 ** b.hi : b.hi;
  const digits = Math.min(8, Math.max(3, Math.ceil(-Math.log10(Math.abs(hi - lo) / Math.max(Math.abs(hi), 1e-30))) + 2));
  const edge = (v: number) => (Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toPrecision(digits) : v.toExponential(digits - 1));
  return (
    <div className="chart">
      <canvas ref={ref} style={{ width: '100%', height, display: 'block' }} role="img" aria-label={ariaLabel} />
      <div className="row small muted">
        <span>{edge(lo)}</span>
        <span className="spacer" style={{ textAlign: 'center' }}>
          {xLabel}
          {logX ? ' (log axis; red line = 1)' : ''} · peak {Math.max(...b.counts)} values
        </span>
        <span>{edge(hi)}</span>
      </div>
    </div>
  );
}
