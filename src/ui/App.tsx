// The studio's frame: a sidebar with the sections in working order and the GPU report,
// and the chosen section on the right. Everything slow happens in the engine worker.
import { useEffect, type ReactNode } from 'react';
import { DeviceCard } from './DeviceCard';
import { METHOD_LABELS, formatSigned } from './format';
import { AutorunConfirm, GpuNotice, UrlNotes } from './Notices';
import { ComparePanel } from './panels/ComparePanel';
import { HistoryPanel } from './panels/HistoryPanel';
import { InspectPanel } from './panels/InspectPanel';
import { MethodPanel } from './panels/MethodPanel';
import { DataPanel } from './panels/DataPanel';
import { ModelPanel } from './panels/ModelPanel';
import { RunPanel } from './panels/RunPanel';
import { SectionNav } from './SectionNav';
import { TeachPanel } from './panels/TeachPanel';
import { SECTIONS, syncConfigToUrl, useStudio, type SectionId } from './store';

const PANEL_INTRO: Record<SectionId, string> = {
  model: 'Pick the checkpoint to quantize: the bundled one, files from your disk, or a Hugging Face repository.',
  data: 'The text used to calibrate the quantizer and to measure perplexity.',
  method: 'How to quantize: the algorithm, bit width and grouping, and the optimizer settings.',
  run: 'Start the run and follow it phase by phase.',
  inspect: 'What a run did inside the model: learned scales, errors per layer and block, loss curves.',
  compare: 'Perplexity of the fp32 model against each quantized run.',
  teach: 'A guided walk through one group of one layer of the latest run, with its real numbers.',
  history: 'Every finished run, kept in this browser.',
};

function panelFor(section: SectionId): ReactNode {
  switch (section) {
    case 'model':
      return <ModelPanel />;
    case 'data':
      return <DataPanel />;
    case 'method':
      return <MethodPanel />;
    case 'run':
      return <RunPanel />;
    case 'inspect':
      return <InspectPanel />;
    case 'compare':
      return <ComparePanel />;
    case 'teach':
      return <TeachPanel />;
    case 'history':
      return <HistoryPanel />;
  }
}

export function App() {
  const section = useStudio((s) => s.section);
  const config = useStudio((s) => s.config);
  const model = useStudio((s) => s.model);
  const runs = useStudio((s) => s.history.length);
  const latest = useStudio((s) => s.history[0]);
  const run = useStudio((s) => s.run);

  useEffect(() => syncConfigToUrl(), []);

  const label = SECTIONS.find((s) => s.id === section)!.label;
  const hints: Partial<Record<SectionId, string>> = {
    model: model?.name ?? config.model.replace(/^bundled:/, ''),
    data: `${config.text} · ${config.calibSamples}×${config.seqLen}`,
    method: config.method === 'fp' ? 'fp32 only' : `${METHOD_LABELS[config.method]} W${config.bits} g${config.groupSize || '∞'}`,
    run: run ? (run.status === 'running' ? `running ${run.phases.at(-1)?.name ?? ''}` : run.status) : undefined,
    inspect: latest ? `${METHOD_LABELS[latest.method]} W${latest.bits}` : undefined,
    compare: latest ? `latest Δ ppl ${formatSigned(latest.pplQuant - latest.pplFp)}` : undefined,
    history: `${runs} saved`,
  };

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="brand">
          <h1>WebGPU Quantization Studio</h1>
          <p>RTN · AWQ · TEQ · TesseraQ · GPTQ, on your own GPU</p>
        </div>
        <SectionNav hints={hints} />
        <DeviceCard />
      </aside>
      <main className="main">
        <GpuNotice />
        <UrlNotes />
        <AutorunConfirm />
        <div className="panel-head">
          <h2>{label}</h2>
          <p>{PANEL_INTRO[section]}</p>
        </div>
        <section role="tabpanel" id={`panel-${section}`} aria-labelledby={`tab-${section}`} tabIndex={-1}>
          {panelFor(section)}
        </section>
      </main>
    </div>
  );
}
