// What the llama.cpp scripts (llama-cpp-reference.mjs, llama-cpp-perplexity.mjs) share: llama.cpp on
// the CPU through node-llama-cpp, which is not a dependency (its prebuilt binaries are about 700 MB),
// and a sequence's logits at every position.
export const INSTALL = 'npm install --no-save node-llama-cpp@3.22.1';

/** node-llama-cpp's CPU llama, or an exit that says how to install it. */
export async function cpuLlama() {
  let nlc;
  try {
    nlc = await import('node-llama-cpp');
  } catch {
    console.error(`node-llama-cpp is not installed: ${INSTALL}`);
    process.exit(2);
  }
  return nlc.getLlama({ gpu: false, logLevel: 'error' });
}

/** Evaluates ids from the sequence's current position; one Map of token -> logit per position. */
export async function logitsAt(sequence, ids) {
  const results = await sequence.controlledEvaluate(ids.map((id) => [id, { generateNext: { logits: true } }]));
  return results.map((r) => r.next.logits);
}
