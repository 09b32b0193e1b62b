// Model: where the checkpoint comes from (bundled, local files or folder, Hugging Face Hub) and
// what it is. The worker parses and holds the weights; this panel only sees the summary.
import { useId, useState, type DragEvent } from 'react';
import { filesFromDrop, filesFromInput, type PickedFile } from '../file-drop';
import { formatBytes, formatCount } from '../format';
import { Segmented } from '../controls';
import { useStudio } from '../store';
import { ModelExports } from './ExportPreview';

type SourceKind = 'bundled' | 'files' | 'hub';

export function ModelPanel() {
  const model = useStudio((s) => s.model);
  const load = useStudio((s) => s.modelLoad);
  const configModel = useStudio((s) => s.config.model);
  const initial: SourceKind = configModel.startsWith('hf:') ? 'hub' : configModel.startsWith('local:') ? 'files' : 'bundled';
  const [kind, setKindState] = useState<SourceKind>(initial);
  const setKind = (k: SourceKind) => {
    setKindState(k);
    // An error belongs to the source that failed; a different source starts clean.
    if (useStudio.getState().modelLoad.status === 'failed') useStudio.setState({ modelLoad: { status: 'idle' } });
  };
  return (
    <div className="panel">
      <div className="card">
        <Segmented
          label="Source"
          value={kind}
          onChange={setKind}
          options={[
            { value: 'bundled', label: 'Bundled stories260K' },
            { value: 'files', label: 'Files on this computer' },
            { value: 'hub', label: 'Hugging Face Hub' },
          ]}
        />
        {kind === 'bundled' && <BundledSource />}
        {kind === 'files' && <LocalSource />}
        {kind === 'hub' && <HubSource />}
        <LoadStatus />
      </div>
      {model ? <ModelSummaryCard /> : load.status !== 'loading' && <div className="empty">No model loaded yet.</div>}
    </div>
  );
}

function BundledSource() {
  const loadModel = useStudio((s) => s.loadModel);
  const busy = useStudio((s) => s.modelLoad.status === 'loading');
  return (
    <div className="row">
      <p className="muted" style={{ flex: 1 }}>
        Karpathy’s llama2.c stories260K: a 260 K-parameter LLaMA trained on TinyStories, with its 512-token SentencePiece vocabulary. Small enough to quantize
        in seconds, even on a software GPU.
      </p>
      <button className="primary" disabled={busy} onClick={() => void loadModel({ kind: 'bundled' })}>
        Load stories260K
      </button>
    </div>
  );
}

function LocalSource() {
  const loadModel = useStudio((s) => s.loadModel);
  const busy = useStudio((s) => s.modelLoad.status === 'loading');
  const filesId = useId();
  const folderId = useId();
  const [over, setOver] = useState(false);
  const [picked, setPicked] = useState<PickedFile[]>([]);

  const pick = (files: PickedFile[]) => {
    setPicked(files);
    if (files.length) void loadModel({ kind: 'files', files });
  };
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    pick(await filesFromDrop(e.dataTransfer));
  };

  return (
    <>
      <div
        className="dropzone"
        data-over={over}
        data-testid="model-dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => void onDrop(e)}
      >
        <p>
          <strong>Drop a model here</strong>: one <code>.gguf</code> file; a llama2.c <code>model.bin</code> with its <code>tokenizer.bin</code>; or a Hugging
          Face folder (<code>config.json</code>, <code>tokenizer.json</code>, <code>*.safetensors</code>).
        </p>
        <div className="row" style={{ justifyContent: 'center' }}>
          <label htmlFor={filesId} className="button">
            Choose files…
          </label>
          <input
            id={filesId}
            className="visually-hidden"
            type="file"
            multiple
            disabled={busy}
            onChange={(e) => {
              pick(filesFromInput(e.target.files));
              e.target.value = '';
            }}
          />
          <label htmlFor={folderId} className="button">
            Choose a folder…
          </label>
          <input
            id={folderId}
            className="visually-hidden"
            type="file"
            disabled={busy}
            // @ts-expect-error: webkitdirectory is not in React's input attributes
            webkitdirectory=""
            onChange={(e) => {
              pick(filesFromInput(e.target.files));
              e.target.value = '';
            }}
          />
        </div>
        <p className="small muted">Files are read where they are, on this computer; nothing is uploaded.</p>
      </div>
      {picked.length > 0 && (
        <p className="small muted">
          Picked {picked.length} file{picked.length === 1 ? '' : 's'}:{' '}
          {picked
            .slice(0, 6)
            .map((p) => p.path)
            .join(', ')}
          {picked.length > 6 ? ` and ${picked.length - 6} more` : ''} ({formatBytes(picked.reduce((n, p) => n + p.file.size, 0))}).
        </p>
      )}
    </>
  );
}

function HubSource() {
  const loadModel = useStudio((s) => s.loadModel);
  const busy = useStudio((s) => s.modelLoad.status === 'loading');
  const configModel = useStudio((s) => s.config.model);
  const fromConfig = /^hf:([^@]+)(?:@(.+))?$/.exec(configModel);
  const [repo, setRepo] = useState(fromConfig?.[1] ?? '');
  const [revision, setRevision] = useState(fromConfig?.[2] ?? 'main');
  // The token lives in this component's memory only: not in the store, the URL, history or storage.
  const [token, setToken] = useState('');
  const ids = { repo: useId(), rev: useId(), token: useId() };
  const repoValid = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(repo.trim());
  return (
    <form
      className="grid-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (repoValid) void loadModel({ kind: 'hub', repo: repo.trim(), revision: revision.trim() || 'main', token: token.trim() || undefined });
      }}
    >
      <div className="field">
        <label htmlFor={ids.repo}>Repository id</label>
        <input
          id={ids.repo}
          type="text"
          placeholder="owner/name"
          value={repo}
          onChange={(e) => setRepo(e.target.value)}
          spellCheck={false}
          aria-invalid={repo !== '' && !repoValid}
        />
        <span className="help">For example HuggingFaceTB/SmolLM2-135M (safetensors weights).</span>
      </div>
      <div className="field">
        <label htmlFor={ids.rev}>Revision</label>
        <input id={ids.rev} type="text" value={revision} onChange={(e) => setRevision(e.target.value)} spellCheck={false} />
        <span className="help">Branch, tag or commit; a commit makes links reproducible.</span>
      </div>
      <div className="field">
        <label htmlFor={ids.token}>Access token (optional)</label>
        <input id={ids.token} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} spellCheck={false} />
        <span className="help">For private or gated repos. Kept in memory for this load only: never saved, never in links.</span>
      </div>
      <div className="row">
        <button className="primary" type="submit" disabled={busy || !repoValid}>
          Load from the Hub
        </button>
      </div>
    </form>
  );
}

function LoadStatus() {
  const load = useStudio((s) => s.modelLoad);
  const cancel = useStudio((s) => s.cancelJob);
  if (load.status === 'loading') {
    return (
      <div className="notice info" role="status" data-testid="model-loading">
        <div>
          <strong>Loading…</strong>
          <span>{load.progress?.message ?? 'Starting'}</span>
          {load.progress?.fraction !== undefined && (
            <div className="progress" aria-hidden="true">
              <div style={{ width: `${(load.progress.fraction * 100).toFixed(1)}%` }} />
            </div>
          )}
        </div>
        {load.request !== 'bundled' && <button onClick={cancel}>Cancel</button>}
      </div>
    );
  }
  if (load.status === 'failed') {
    return (
      <div className="notice error" role="alert" data-testid="model-error">
        <div>
          <strong>The model did not load</strong>
          <span>{load.error.message}</span>
        </div>
      </div>
    );
  }
  return null;
}

function ModelSummaryCard() {
  const m = useStudio((s) => s.model)!;
  return (
    <div className="card" data-testid="model-summary">
      <div className="row">
        <h3>{m.name}</h3>
        <span className="muted mono">{m.source}</span>
      </div>
      <div className="grid-3">
        <dl className="kv">
          <dt>Architecture</dt>
          <dd>
            {m.arch === 'llama' ? 'LLaMA family' : m.arch === 'opt' ? 'OPT' : m.arch} <span className="muted small">({m.sourceArchitecture})</span>
          </dd>
          <dt>Layers</dt>
          <dd>{m.layers}</dd>
          <dt>Hidden size</dt>
          <dd>{m.hidden}</dd>
          <dt>MLP size</dt>
          <dd>{m.intermediate}</dd>
        </dl>
        <dl className="kv">
          <dt>Attention heads</dt>
          <dd>
            {m.heads} × {m.headDim} ({m.kvHeads === m.heads ? 'multi-head' : `${m.kvHeads} key/value heads`})
          </dd>
          <dt>Vocabulary</dt>
          <dd>{m.vocab.toLocaleString('en-US')}</dd>
          <dt>Context</dt>
          <dd>{m.maxPositions.toLocaleString('en-US')} tokens</dd>
          <dt>Tied embeddings</dt>
          <dd>{m.tiedEmbeddings ? 'yes' : 'no'}</dd>
        </dl>
        <dl className="kv">
          <dt>Parameters</dt>
          <dd data-testid="model-parameters">{formatCount(m.parameters)}</dd>
          <dt>Size as fp32</dt>
          <dd>{formatBytes(m.bytesF32)}</dd>
          <dt>Tensors</dt>
          <dd>{m.tensors.length}</dd>
        </dl>
      </div>
      {m.structure.length > 0 && (
        <p className="small" data-testid="model-structure">
          <strong>Structure:</strong> {m.structure.join('; ')}.
        </p>
      )}
      <ModelExports exports={m.exports} />
      <details>
        <summary>Tensor sizes</summary>
        <div style={{ maxHeight: 320, overflow: 'auto', marginTop: 8 }}>
          <table>
            <thead>
              <tr>
                <th scope="col">Tensor</th>
                <th scope="col">Shape</th>
                <th scope="col" className="num">
                  Values
                </th>
              </tr>
            </thead>
            <tbody>
              {m.tensors.map((t) => (
                <tr key={t.name}>
                  <td className="mono">{t.name}</td>
                  <td className="mono">[{t.shape.join(', ')}]</td>
                  <td className="num">{t.shape.reduce((a, b) => a * b, 1).toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
