// Where calibration windows start. 'studio' is the studio's own seeded draw; the others draw the
// starts exactly as common Python pipelines do for the same seed, so a run can calibrate on the
// very windows a PyTorch/NumPy/AutoGPTQ script used:
//   torch:  torch.manual_seed(seed); torch.randint(0, n - L, (count,))        (CPU generator)
//   numpy:  numpy.random.seed(seed); numpy.random.randint(0, n - L, count)    (legacy RandomState)
//   python: random.seed(seed); [random.randint(0, n - L - 1) for _ in ...]   (GPTQ's get_loaders)
// with n calibration tokens and windows of L tokens.
import type { WindowDraw } from '../core/run-types';
import { Mt19937 } from '../reference/mt19937';
import { mulberry32 } from '../reference/rng';

/** `count` window starts in [0, span) drawn the `draw` way from `seed` (span = n - L). */
export function windowStarts(draw: WindowDraw, span: number, count: number, seed: number): number[] {
  const starts: number[] = [];
  if (draw === 'studio') {
    const r = mulberry32(seed ^ 0x9e3779b9);
    for (let s = 0; s < count; s++) starts.push(Math.floor(r() * span));
    return starts;
  }
  const g = draw === 'python' ? Mt19937.fromKey([seed]) : Mt19937.fromSeed(seed);
  for (let s = 0; s < count; s++) {
    if (draw === 'torch')
      starts.push(g.next() % span); // uniform_int_from_to: random() % range
    else if (draw === 'numpy') starts.push(maskedBelow(g, span));
    else starts.push(bitsBelow(g, span));
  }
  return starts;
}

// NumPy's legacy bounded draw: the low bits under the next power-of-two mask, rejected until < span.
function maskedBelow(g: Mt19937, span: number): number {
  const max = span - 1;
  let mask = max;
  for (let shift = 1; shift < 32; shift <<= 1) mask |= mask >>> shift;
  for (;;) {
    const v = (g.next() & mask) >>> 0;
    if (v <= max) return v;
  }
}

// Python's _randbelow: getrandbits(k) (the top k bits of one output), rejected until < span.
function bitsBelow(g: Mt19937, span: number): number {
  const k = 32 - Math.clz32(span);
  for (;;) {
    const v = g.next() >>> (32 - k);
    if (v < span) return v;
  }
}
