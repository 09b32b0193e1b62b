// The perplexity that real llama.cpp (node-llama-cpp, CPU) gives a GGUF file under the studio's
// protocol (src/eval/windows.ts): tokens = [BOS] + llama.cpp's tokens of the evaluation text, windows
// of seqLen tokens each evaluated from position 0, positions 1..seqLen-1 scored. With a run's result
// JSON the evaluation text, window length and count are the run's, so the figure stands beside the
// run's own pplQuant (or pplFp, for the source model's GGUF):
//   node dist-node/studio.mjs quantize --model bundled --method gptq --export gguf --outDir out > run.json
//   npm install --no-save node-llama-cpp@3.22.1
//   node scripts/llama-cpp-perplexity.mjs out/stories260K-Q4_1.gguf public/data/tinystories_val.txt run.json
import { readFileSync } from 'node:fs';
import { cpuLlama, logitsAt } from './llama-cpp.mjs';

const [ggufPath, textPath, resultPath] = process.argv.slice(2);
if (!ggufPath || !textPath || !resultPath) {
  console.error('usage: node scripts/llama-cpp-perplexity.mjs <model.gguf> <text file> <result.json of the studio run>');
  process.exit(2);
}
const llama = await cpuLlama();
const result = JSON.parse(readFileSync(resultPath, 'utf8'));
const { seqLen, evalWindows } = result.config;
// "<name>: calibration = characters [0, c), evaluation = characters [c, n)" (engine/text-split.ts)
const cut = /evaluation = characters \[(\d+), (\d+)\)/.exec(result.details?.split ?? '');
if (!cut) {
  console.error(`the result's split (${result.details?.split}) is not a cut of one text: give a result of a single-text run`);
  process.exit(2);
}
const evalText = readFileSync(textPath, 'utf8').slice(Number(cut[1]), Number(cut[2]));

const model = await llama.loadModel({ modelPath: ggufPath });
const tokens = [model.tokens.bos, ...model.tokenize(evalText, false)];
const windows = Math.min(evalWindows > 0 ? evalWindows : Infinity, Math.floor(tokens.length / seqLen));
const context = await model.createContext({ contextSize: seqLen, batchSize: seqLen });
const sequence = context.getSequence();
let nll = 0;
let count = 0;
for (let w = 0; w < windows; w++) {
  const ids = tokens.slice(w * seqLen, (w + 1) * seqLen);
  await sequence.clearHistory(); // each window from position 0
  const out = await logitsAt(sequence, ids);
  for (let t = 0; t + 1 < ids.length; t++) {
    const logits = out[t];
    let max = -Infinity;
    for (const v of logits.values()) max = Math.max(max, v);
    let sum = 0;
    for (const v of logits.values()) sum += Math.exp(v - max);
    nll += max + Math.log(sum) - logits.get(ids[t + 1]);
    count++;
  }
}
const ppl = Math.exp(nll / count);
console.log(
  JSON.stringify({
    gguf: ggufPath,
    windows,
    seqLen,
    scored: count,
    llamaCppPpl: Number(ppl.toFixed(4)),
    studioPplQuant: result.pplQuant,
    studioPplFp: result.pplFp,
    relativeToQuant: Number((ppl / result.pplQuant - 1).toExponential(3)),
  }),
);
