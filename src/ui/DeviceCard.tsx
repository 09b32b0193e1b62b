// The GPU as the worker reports it: adapter identity, the limits our kernels depend on and the
// optional features the engine can use. Shown from the first screen on.
import { formatBytes } from './format';
import { useStudio } from './store';

const KEY_LIMITS: { name: string; label: string; bytes?: boolean }[] = [
  { name: 'maxBufferSize', label: 'Max buffer', bytes: true },
  { name: 'maxStorageBufferBindingSize', label: 'Max storage binding', bytes: true },
  { name: 'maxComputeWorkgroupStorageSize', label: 'Workgroup memory', bytes: true },
  { name: 'maxComputeInvocationsPerWorkgroup', label: 'Invocations / workgroup' },
  { name: 'maxComputeWorkgroupsPerDimension', label: 'Workgroups / dimension' },
  { name: 'maxStorageBuffersPerShaderStage', label: 'Storage buffers / stage' },
];

/** The optional features the engine uses, and what each buys. */
const KEY_FEATURES: { name: string; why: string }[] = [
  { name: 'shader-f16', why: 'half-precision kernels' },
  { name: 'chromium-experimental-subgroup-matrix', why: 'tensor cores: f16 x f16 -> f32 Linear matmuls' },
  { name: 'subgroups', why: 'faster reductions' },
  { name: 'timestamp-query', why: 'per-kernel timings' },
];

export function DeviceCard() {
  const gpu = useStudio((s) => s.gpu);
  return (
    <section className="device" aria-labelledby="device-heading" data-testid="device-card">
      {/* A label, not a heading: a heading here would sit between the sidebar's h1 and the panel's h2 out
          of order (axe: heading-order); the section is named by it all the same. */}
      <p className="device-title" id="device-heading">
        GPU
      </p>
      {gpu.status === 'pending' && <p className="state">Asking the browser for a GPU…</p>}
      {gpu.status === 'failed' && (
        <p className="failed" role="status">
          No GPU: {gpu.error.kind === 'webgpu-unavailable' ? 'WebGPU is not available' : gpu.error.kind}. See the message on the right.
        </p>
      )}
      {gpu.status === 'ready' && <AdapterDetails />}
    </section>
  );
}

function AdapterDetails() {
  const gpu = useStudio((s) => s.gpu);
  if (gpu.status !== 'ready') return null;
  const r = gpu.report;
  const name = [r.vendor, r.architecture].filter(Boolean).join(' · ') || 'Unnamed adapter';
  return (
    <>
      <div>
        <div className="adapter-name" data-testid="adapter-name">
          {name}
        </div>
        <div className="muted">{r.description || 'No description (this browser does not share it).'}</div>
        {r.device && <div className="muted">device {r.device}</div>}
        {r.isFallbackAdapter && <div className="failed">Software fallback adapter: expect slow runs.</div>}
      </div>
      <dl aria-label="Key limits">
        {KEY_LIMITS.map(({ name, label, bytes }) => {
          const v = r.limits[name];
          return (
            <div key={name} style={{ display: 'contents' }} title={name}>
              <dt>{label}</dt>
              <dd>{v === undefined ? '–' : bytes ? formatBytes(v) : v.toLocaleString('en-US')}</dd>
            </div>
          );
        })}
      </dl>
      <div className="chips" aria-label="Optional features">
        {KEY_FEATURES.map(({ name, why }) => {
          const on = r.features.includes(name);
          return (
            <span key={name} className={`chip ${on ? 'on' : 'off'}`} title={`${why}: ${on ? 'available' : 'not available'}`}>
              {name}
            </span>
          );
        })}
      </div>
      {r.kernelPaths && (
        <dl aria-label="Kernel paths" data-testid="kernel-paths">
          {Object.entries(r.kernelPaths).map(([family, path]) => (
            <div key={family} style={{ display: 'contents' }}>
              <dt>{family}</dt>
              <dd>{path}</dd>
            </div>
          ))}
        </dl>
      )}
      <details>
        <summary>All {Object.keys(r.limits).length} limits</summary>
        <dl>
          {Object.entries(r.limits)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => (
              <div key={k} style={{ display: 'contents' }}>
                <dt title={k}>{k.replace(/^max/, '')}</dt>
                <dd>{v.toLocaleString('en-US')}</dd>
              </div>
            ))}
        </dl>
      </details>
      <details>
        <summary>All {r.features.length} features</summary>
        <div className="chips" style={{ marginTop: 6 }}>
          {r.features.map((f) => (
            <span key={f} className="chip">
              {f}
            </span>
          ))}
        </div>
      </details>
    </>
  );
}
