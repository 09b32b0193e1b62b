// The studio's Content-Security-Policy: only this app's own scripts and workers run, WebAssembly
// may compile (onnxruntime-web's WASM needs 'wasm-unsafe-eval'; eval and new Function stay
// blocked), and the page talks only to itself and the Hugging Face hosts it loads models from
// (huggingface.co redirects file downloads to cdn-lfs*.huggingface.co and *.hf.co, e.g. the Xet
// bridge cas-bridge.xethub.hf.co).

/** Hosts a model may be fetched from (Hub API, resolve URLs and their CDN redirects). */
export const MODEL_HOSTS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

const DIRECTIVES: [string, string[]][] = [
  ['default-src', ["'self'"]],
  // No 'unsafe-eval' and no 'unsafe-inline': the built page has no inline script.
  ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
  // The engine worker is a same-origin module script (no blob: workers: nothing spawns one).
  ['worker-src', ["'self'"]],
  ['connect-src', ["'self'", ...MODEL_HOSTS]],
  // React sets style attributes through the CSSOM (allowed); uPlot and Vite's CSS are files.
  ['style-src', ["'self'"]],
  ['img-src', ["'self'", 'data:', 'blob:']],
  ['font-src', ["'self'"]],
  ['object-src', ["'none'"]],
  ['base-uri', ["'self'"]],
  ['form-action', ["'self'"]],
];

function serialize(directives: [string, string[]][]): string {
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** The policy for the page's <meta http-equiv="Content-Security-Policy">. */
export const CONTENT_SECURITY_POLICY = serialize(DIRECTIVES);

/**
 * The same policy as an HTTP header, for servers that can send one: it also covers the worker
 * scripts (a same-origin worker gets the policy of its own response, not the page's meta tag) and
 * adds frame-ancestors, which browsers ignore (with a console error) in a meta tag.
 */
export const CONTENT_SECURITY_POLICY_HEADER = serialize([...DIRECTIVES, ['frame-ancestors', ["'none'"]]]);
