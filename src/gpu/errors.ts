// Typed errors that cross the worker boundary: each says what went wrong and what to do.
// `kind` survives structured cloning (class identity does not), so the UI switches on it.

export type EngineErrorKind = 'webgpu-unavailable' | 'device-lost' | 'out-of-memory' | 'over-limits' | 'gpu-validation' | 'bad-input' | 'cancelled';

export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** What to do when a browser offers no WebGPU. */
export const BROWSER_WEBGPU_ADVICE =
  `Use a current Chrome, Edge or Chromium (113 or newer) on a machine with a GPU; on Linux start Chromium with ` +
  `--enable-unsafe-webgpu, in Firefox Nightly set dom.webgpu.enabled, in Safari 26+ it is on by default.`;

export class WebGpuUnavailableError extends EngineError {
  /** `advice`: what to do where the engine runs (the browser's by default; the CLI passes Dawn's). */
  constructor(
    readonly detail: string,
    advice = BROWSER_WEBGPU_ADVICE,
  ) {
    super('webgpu-unavailable', `WebGPU is not available here (${detail}). ${advice}`);
  }
}

export class DeviceLostError extends EngineError {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(
      'device-lost',
      `The GPU device was lost (${reason}${detail ? `: ${detail}` : ''}). ` +
        `This happens after a driver reset, a GPU timeout or when the GPU runs out of memory; ` +
        `the engine can acquire a new device and continue from the last checkpoint.`,
    );
  }
}

export class GpuOutOfMemoryError extends EngineError {
  constructor(
    readonly tensor: string,
    readonly bytes: number,
  ) {
    super(
      'out-of-memory',
      `The GPU ran out of memory allocating "${tensor}" (${formatBytes(bytes)}). ` +
        `Use fewer calibration samples, a shorter sequence length, or a smaller model.`,
    );
  }
}

export class OverLimitsError extends EngineError {
  constructor(
    readonly tensor: string,
    readonly bytes: number,
    readonly limitName: string,
    readonly limit: number,
  ) {
    super(
      'over-limits',
      `"${tensor}" needs ${formatBytes(bytes)}, over this device's ${limitName} of ` +
        `${formatBytes(limit)}. Use fewer samples or a shorter sequence if it holds activations, a smaller model if it holds weights, or a GPU with larger limits.`,
    );
  }
}

export class CancelledError extends EngineError {
  constructor(what = 'The run') {
    super('cancelled', `${what} was cancelled.`);
  }
}

export class BadInputError extends EngineError {
  constructor(message: string) {
    super('bad-input', message);
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A plain object that survives postMessage, for the UI. */
export function describeError(e: unknown): { kind: string; message: string } {
  if (e instanceof EngineError) return { kind: e.kind, message: e.message };
  if (e instanceof Error) return { kind: 'error', message: e.message };
  return { kind: 'error', message: String(e) };
}
