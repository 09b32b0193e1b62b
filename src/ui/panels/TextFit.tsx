// Which bundled text fits the loaded model: the fp32 perplexity of each on a few windows. A text
// the model was not trained on (TinyStories for a general LLaMA) gives perplexities in the
// hundreds and quantized results that mean little; the lowest one is the one to use.
import { useState } from 'react';
import type { TextSource } from '../../core/run-types';
import { engine } from '../engine-client';
import { formatPpl } from '../format';
import { useStudio } from '../store';

const BUNDLED: { value: TextSource; label: string }[] = [
  { value: 'tinystories', label: 'TinyStories' },
  { value: 'wikitext2', label: 'WikiText-2' },
  { value: 'tinyshakespeare', label: 'Tiny Shakespeare' },
];
/** Few and short: enough to tell a fitting text from a foreign one, quick on a software adapter. */
const PROBE = { evalWindows: 2, seqLen: 64 };

type Fit = { text: TextSource; label: string; ppl: number | null; error?: string; model: string };

/** The text with the lowest perplexity among those measured, or null. */
export function bestFit(fits: Pick<Fit, 'text' | 'ppl'>[]): TextSource | null {
  let best: { text: TextSource; ppl: number } | null = null;
  for (const f of fits) if (f.ppl !== null && Number.isFinite(f.ppl) && (!best || f.ppl < best.ppl)) best = { text: f.text, ppl: f.ppl };
  return best?.text ?? null;
}

export function TextFit() {
  const model = useStudio((s) => s.model);
  const config = useStudio((s) => s.config);
  const setConfig = useStudio((s) => s.setConfig);
  const running = useStudio((s) => s.run?.status === 'running');
  const [fits, setFits] = useState<Fit[] | null>(null);
  const [busy, setBusy] = useState(false);
  if (!model) return null;
  const forModel = fits && fits.length && fits[0].model === model.source ? fits : null;
  const best = forModel ? bestFit(forModel) : null;

  async function measure() {
    setBusy(true);
    const out: Fit[] = [];
    for (const t of BUNDLED) {
      try {
        const seqLen = Math.min(PROBE.seqLen, model!.maxPositions);
        const r = await engine().run({ ...config, method: 'fp', text: t.value, evalWindows: PROBE.evalWindows, seqLen });
        out.push({ text: t.value, label: t.label, model: model!.source, ppl: r.status === 'done' ? r.pplFp : null, error: r.error });
      } catch (e) {
        out.push({ text: t.value, label: t.label, model: model!.source, ppl: null, error: e instanceof Error ? e.message : String(e) });
      }
      setFits([...out]);
    }
    setBusy(false);
  }

  return (
    <div className="card" data-testid="text-fit">
      <div className="row">
        <h3>Which text fits {model.name}?</h3>
        <span className="spacer" />
        <button disabled={busy || running} onClick={() => void measure()}>
          {busy ? 'Measuring…' : 'Measure the fp32 perplexity of each text'}
        </button>
      </div>
      <p className="small muted">
        A text unlike what the model was trained on gives a high fp32 perplexity, and quantized results on it say little about the model. This scores{' '}
        {PROBE.evalWindows} windows of {Math.min(PROBE.seqLen, model.maxPositions)} tokens of each bundled text with the unquantized model (quick, not saved in
        History).
      </p>
      {forModel && (
        <table>
          <thead>
            <tr>
              <th scope="col">Text</th>
              <th scope="col" className="num">
                fp32 perplexity
              </th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {forModel.map((f) => (
              <tr key={f.text} data-testid={`fit-${f.text}`}>
                <td>
                  {f.label}
                  {f.text === best && <strong className="better"> · fits best</strong>}
                </td>
                <td className="num">{f.ppl === null ? (f.error ?? '–') : formatPpl(f.ppl)}</td>
                <td>
                  {f.text === best && config.text !== f.text && <button onClick={() => setConfig({ text: f.text })}>Use {f.label}</button>}
                  {config.text === f.text && <span className="small muted">in use</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
