// Series colours (distinguishable, colour-blind friendly Tableau 10) and the heatmap colour maps.

export const SERIES_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length];
}

type Rgb = [number, number, number];

// Viridis at 9 stops: perceptually uniform, for magnitudes (errors, counts).
const VIRIDIS: Rgb[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

// Blue - white - red, for values around a centre (TEQ scales around 1, on a log axis).
const DIVERGING: Rgb[] = [
  [33, 102, 172],
  [103, 169, 207],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [239, 138, 98],
  [178, 24, 43],
];

function lerpStops(stops: Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export type ColorMap = 'viridis' | 'diverging';

export function colorAt(map: ColorMap, t: number): Rgb {
  return lerpStops(map === 'viridis' ? VIRIDIS : DIVERGING, t);
}

/** 256-entry RGBA lookup table, so painting a large heatmap is one table read per pixel. */
export function colorTable(map: ColorMap): Uint8ClampedArray {
  const lut = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colorAt(map, i / 255);
    lut.set([r, g, b, 255], i * 4);
  }
  return lut;
}
