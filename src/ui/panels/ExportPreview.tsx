// Which exports a person will get, said before a long run: in the Model card, what the architecture
// and tokenizer allow; in Run, what the current settings will offer. Exports read the quantized
// codes the engine holds, so they are offered right after the run, in this session only.
import { exportsForSettings, type ModelExport } from '../../export/export-settings';
import { FORMAT_TITLES } from '../../export/types';
import type { RunConfig } from '../../core/run-types';
import { METHODS } from '../../methods/registry';

export const EXPORT_TIMING =
  'Export is offered right after a run, in this session: History keeps each run’s results, not its quantized weights, so a run from History must be run again to export it.';

export function ModelExports({ exports }: { exports: ModelExport[] }) {
  const yes = exports.filter((e) => e.available);
  const no = exports.filter((e) => !e.available);
  return (
    <details data-testid="model-exports">
      <summary>
        Exports: {yes.length ? yes.map(shortName).join(', ') : 'none'}
        {no.length > 0 && <> · not {no.map(shortName).join(', ')}</>}
      </summary>
      <ul className="small">
        {exports.map((e) => (
          <li key={e.format} className={e.available ? undefined : 'worse'}>
            {FORMAT_TITLES[e.format]}: {e.available ? e.note : `not for this model: ${e.note}`}
          </li>
        ))}
      </ul>
      <p className="muted small">{EXPORT_TIMING}</p>
    </details>
  );
}

/** One line under Start: what this run's settings will offer, and when. */
export function RunExports({ exports, config }: { exports: ModelExport[]; config: RunConfig }) {
  if (config.method === 'fp') return null;
  const actOrder = METHODS[config.method].fields.some((f) => f.key === 'gptqActOrder') && config.gptqActOrder;
  const predicted = exportsForSettings(exports, { bits: config.bits, groupSize: config.groupSize, symmetric: config.symmetric }, actOrder);
  const yes = predicted.filter((e) => e.available);
  const no = predicted.filter((e) => !e.available);
  return (
    <p className="muted small" data-testid="run-exports">
      Exports after this run: {yes.length ? yes.map(shortName).join(', ') : 'none'}
      {no.length > 0 && <>; not {no.map((e) => `${shortName(e)} (${e.note})`).join(', ')}</>}. {EXPORT_TIMING}
    </p>
  );
}

function shortName(e: ModelExport): string {
  return { onnx: 'ONNX', gptq: 'GPTQ', 'gptq-v2': 'GPTQ v2', gguf: 'GGUF', 'fp-safetensors': 'full-precision safetensors' }[e.format];
}
