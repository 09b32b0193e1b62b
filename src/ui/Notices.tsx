// Banners above the panels: a missing GPU (with what to do), and problems in the page's link.
import { useStudio } from './store';
import { formatBytes, formatSeconds, runLabel } from './format';

export function GpuNotice() {
  const gpu = useStudio((s) => s.gpu);
  const retry = useStudio((s) => s.initGpu);
  if (gpu.status !== 'failed') return null;
  const missing = gpu.error.kind === 'webgpu-unavailable';
  return (
    <div className="notice error" role="alert" data-testid="gpu-error">
      <div>
        <strong>{missing ? 'WebGPU is not available in this browser' : 'The GPU could not be started'}</strong>
        <p>{gpu.error.message}</p>
        {missing && (
          <ul>
            <li>Chrome or Edge 113 or newer on Windows, macOS or ChromeOS: WebGPU is on by default.</li>
            <li>
              Chrome on Linux: start it with <code>--enable-unsafe-webgpu --enable-features=Vulkan</code>, or set{' '}
              <code>chrome://flags/#enable-unsafe-webgpu</code> to Enabled.
            </li>
            <li>
              Firefox: version 141+ on Windows has it; elsewhere use Nightly with <code>dom.webgpu.enabled</code> in <code>about:config</code>.
            </li>
            <li>Safari 26 or newer: on by default.</li>
            <li>Check chrome://gpu: "WebGPU: Hardware accelerated". A blocklisted driver disables it.</li>
          </ul>
        )}
        <p className="small">You can still browse History and Compare saved runs; running needs a GPU.</p>
      </div>
      <button onClick={() => void retry()}>Try again</button>
    </div>
  );
}

export function UrlNotes() {
  const notes = useStudio((s) => s.urlNotes);
  const dismiss = useStudio((s) => s.dismissUrlNotes);
  if (notes.length === 0) return null;
  return (
    <div className="notice warn" role="status" data-testid="url-notes">
      <div>
        <strong>Some settings in this link were not used</strong>
        <ul>
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      </div>
      <button onClick={dismiss}>Dismiss</button>
    </div>
  );
}

/** A link asked to start a run: a Hub download or a long run waits for a click that has seen the time. */
export function AutorunConfirm() {
  const ask = useStudio((s) => s.autorunConfirm);
  const confirm = useStudio((s) => s.confirmAutorun);
  const dismiss = useStudio((s) => s.dismissAutorun);
  const size = useStudio((s) => s.autorunSize);
  const config = useStudio((s) => s.config);
  if (!ask) return null;
  const [repo, revision = 'main'] = ask.model.replace(/^hf:/, '').split('@');
  const time =
    ask.expectedSeconds !== null
      ? `Expected time: about ${formatSeconds(ask.expectedSeconds)} at the speed this device measured in its last run.`
      : 'Expected time: not known yet (no run has been timed on this device); a calibrated method can take many minutes.';
  return (
    <div className="notice warn" role="alertdialog" aria-label={ask.hub ? 'Download from the Hub?' : 'Start the run?'} data-testid="autorun-confirm">
      <div>
        <strong>
          This link starts a run on {ask.hub ? repo : ask.model.replace(/^(bundled|local):/, '')} ({runLabel(config)})
        </strong>
        {ask.hub && (
          <p>
            It downloads the model from the Hugging Face Hub (revision {revision}):{' '}
            <span data-testid="autorun-size">
              {size?.status === 'known'
                ? `${formatBytes(size.bytes)} of weights (${size.files.length === 1 ? size.files[0] : `${size.files.length} files`}${size.revision ? `, from ${size.revision}: main has only pytorch_model.bin, and this is the safetensors conversion's pull request` : ''}), plus its config and tokenizer.`
                : size?.status === 'unknown'
                  ? `its size could not be found (${size.message}); models can be several GB.`
                  : 'asking the Hub for its size…'}
            </span>{' '}
            Nothing has been downloaded yet (the size comes from HEAD requests; files already in this browser's cache are not downloaded again).
          </p>
        )}
        <p data-testid="autorun-expected-time">{time} Nothing has started yet.</p>
      </div>
      <button onClick={() => void confirm()}>{ask.hub ? 'Download and run' : 'Start the run'}</button>
      <button onClick={dismiss}>Not now</button>
    </div>
  );
}
