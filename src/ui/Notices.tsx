// Banners above the panels: a missing GPU (with what to do), and problems in the page's link.
import { useStudio } from './store';
import { formatBytes } from './format';

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

/** A link asked to run on a Hub model: nothing is downloaded until the person says so. */
export function AutorunConfirm() {
  const source = useStudio((s) => s.autorunConfirm);
  const confirm = useStudio((s) => s.confirmAutorun);
  const dismiss = useStudio((s) => s.dismissAutorun);
  const size = useStudio((s) => s.autorunSize);
  if (!source) return null;
  const [repo, revision = 'main'] = source.replace(/^hf:/, '').split('@');
  return (
    <div className="notice warn" role="alertdialog" aria-label="Download from the Hub?" data-testid="autorun-confirm">
      <div>
        <strong>This link starts a run on {repo}</strong>
        <p>
          It downloads the model from the Hugging Face Hub (revision {revision}):{' '}
          <span data-testid="autorun-size">
            {size?.status === 'known'
              ? `${formatBytes(size.bytes)} of weights (${size.files.length === 1 ? size.files[0] : `${size.files.length} files`}), plus its config and tokenizer.`
              : size?.status === 'unknown'
                ? `its size could not be found (${size.message}); models can be several GB.`
                : 'asking the Hub for its size…'}
          </span>{' '}
          Nothing has been downloaded yet (the size comes from HEAD requests; files already in this browser's cache are not downloaded again).
        </p>
      </div>
      <button onClick={() => void confirm()}>Download and run</button>
      <button onClick={dismiss}>Not now</button>
    </div>
  );
}
