// Side-by-side generation from one prompt: the fp32 model and the latest quantized model the
// worker holds, same seed and settings, text streamed in as it is produced.
import * as Comlink from 'comlink';
import { useEffect, useId, useState } from 'react';
import { toEngineFailure } from '../../worker/protocol';
import { NumberField } from '../controls';
import { engine } from '../engine-client';
import { runLabel } from '../format';
import { useStudio } from '../store';

interface Output {
  text: string;
  status: 'idle' | 'running' | 'done' | 'failed';
  error?: string;
}

const IDLE: Output = { text: '', status: 'idle' };

export function GenerationCompare() {
  const model = useStudio((s) => s.model);
  const history = useStudio((s) => s.history);
  const gpuReady = useStudio((s) => s.gpu.status === 'ready');
  const lastRunStatus = useStudio((s) => s.run?.status);
  // One GPU, one worker: generating while a run trains would queue behind it (or fail for memory).
  const runInProgress = lastRunStatus === 'running';
  const [quantRunId, setQuantRunId] = useState<string | null>(null);
  const [prompt, setPrompt] = useState('Once upon a time');
  const [maxNewTokens, setMaxNewTokens] = useState(40);
  const [temperature, setTemperature] = useState(0);
  const [fp, setFp] = useState<Output>(IDLE);
  const [quant, setQuant] = useState<Output>(IDLE);
  const promptId = useId();

  useEffect(() => {
    void engine()
      .quantizedRunId()
      .then(setQuantRunId)
      .catch(() => setQuantRunId(null));
  }, [lastRunStatus, model]);

  if (!model) return null;
  const quantRun = history.find((r) => r.id === quantRunId);
  const busy = fp.status === 'running' || quant.status === 'running';

  async function one(which: 'fp' | 'quantized', set: (o: Output) => void) {
    set({ text: '', status: 'running' });
    try {
      const onText = Comlink.proxy((t: string) => set({ text: t, status: 'running' }));
      const text = await engine().generate({ prompt, which, maxNewTokens, temperature, seed: 0 }, onText);
      set({ text, status: 'done' });
    } catch (e) {
      set({ text: '', status: 'failed', error: toEngineFailure(e).message });
    }
  }

  return (
    <div className="card" data-testid="generation">
      <h3>Generation, side by side</h3>
      <p className="small muted">
        {quantRunId
          ? `fp32 ${model.name} against the quantized model of the latest run (${quantRun ? runLabel(quantRun) : quantRunId}), same prompt and seed.`
          : 'Finish a run to compare its quantized model’s text with the fp32 model’s.'}
      </p>
      <form
        className="row"
        style={{ alignItems: 'flex-end' }}
        onSubmit={async (e) => {
          e.preventDefault();
          await one('fp', setFp);
          if (quantRunId) await one('quantized', setQuant);
        }}
      >
        {/* A basis, not only a grow: on a narrow screen the prompt takes its own line instead of shrinking under its label. */}
        <div className="field" style={{ flex: '1 1 220px' }}>
          <label htmlFor={promptId}>Prompt</label>
          <input id={promptId} type="text" value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        </div>
        <div style={{ width: 140 }}>
          <NumberField label="New tokens" value={maxNewTokens} min={1} max={512} onChange={setMaxNewTokens} />
        </div>
        <div style={{ width: 140 }}>
          <NumberField
            label="Temperature"
            value={temperature}
            min={0}
            max={2}
            integer={false}
            step={0.1}
            onChange={setTemperature}
            help={temperature === 0 ? 'greedy' : undefined}
          />
        </div>
        <button
          className="primary"
          type="submit"
          disabled={busy || !gpuReady || runInProgress || prompt.trim() === ''}
          aria-describedby={runInProgress ? 'generate-off-reason' : undefined}
          style={{ marginBottom: 22 }}
        >
          Generate
        </button>
      </form>
      {runInProgress && (
        <p className="small muted" id="generate-off-reason" data-testid="generate-off-reason">
          Generate is off while a run is in progress (the GPU is busy with it).
        </p>
      )}
      <div className="grid-2">
        <GeneratedText title={`fp32 ${model.name}`} prompt={prompt} out={fp} testId="gen-fp" />
        <GeneratedText title={quantRun ? runLabel(quantRun) : 'Quantized'} prompt={prompt} out={quant} testId="gen-quant" />
      </div>
    </div>
  );
}

function GeneratedText({ title, prompt, out, testId }: { title: string; prompt: string; out: Output; testId: string }) {
  return (
    <div className="generated" data-testid={testId} data-status={out.status} aria-live="polite" aria-busy={out.status === 'running'}>
      <h4>{title}</h4>
      {out.status === 'failed' ? (
        <p className="worse generation-error" role="alert">
          {out.error}
        </p>
      ) : (
        <p className="generated-text">
          {out.status !== 'idle' && <span className="muted">{prompt}</span>}
          {out.text}
          {out.status === 'running' && <span className="cursor">▍</span>}
        </p>
      )}
    </div>
  );
}
