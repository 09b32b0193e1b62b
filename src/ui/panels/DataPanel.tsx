// Data: which text calibrates the quantizer and which measures perplexity, how many tokens each
// part has under the loaded model's tokenizer, and whether that is enough for the settings.
import { useId } from 'react';
import type { TextSource } from '../../core/run-types';
import { NumberField, Segmented } from '../controls';
import { formatBytes, formatCount } from '../format';
import { useStudio } from '../store';
import { planText } from '../text-checks';
import { TextFit } from './TextFit';

/** Texts over this are split at character 160,000 (src/engine/text-split.ts): calibration stays small. */
const LARGE_TEXT_CHARS = 400_000;

const TEXT_OPTIONS: { value: TextSource; label: string; title: string }[] = [
  { value: 'tinystories', label: 'TinyStories', title: 'TinyStories validation set (CDLA-Sharing-1.0)' },
  { value: 'wikitext2', label: 'WikiText-2', title: 'WikiText-2 raw: valid for calibration, test for evaluation (CC BY-SA 3.0)' },
  { value: 'tinyshakespeare', label: 'Tiny Shakespeare', title: 'Tiny Shakespeare (public domain)' },
  { value: 'custom', label: 'Your text', title: 'Pasted or uploaded text' },
];

export function DataPanel() {
  const config = useStudio((s) => s.config);
  const setConfig = useStudio((s) => s.setConfig);
  const model = useStudio((s) => s.model);
  const maxSeq = model?.maxPositions ?? 8192;
  return (
    <div className="panel">
      <div className="card">
        <Segmented
          label="Text"
          value={config.text}
          options={TEXT_OPTIONS}
          onChange={(text) => setConfig({ text })}
          help={TEXT_OPTIONS.find((o) => o.value === config.text)?.title}
        />
        {config.text === 'custom' && <CustomText />}
      </div>
      <TextFit />
      <div className="card">
        <h3>Calibration and evaluation</h3>
        <div className="grid-3">
          <NumberField
            label="Calibration samples"
            value={config.calibSamples}
            min={1}
            max={4096}
            onChange={(calibSamples) => setConfig({ calibSamples })}
            help="Windows drawn at seeded random offsets from the calibration part."
          />
          <NumberField
            label="Sequence length (tokens)"
            value={config.seqLen}
            min={8}
            max={maxSeq}
            onChange={(seqLen) => setConfig({ seqLen })}
            help={`Of each calibration sample and evaluation window${model ? `; the model’s context is ${maxSeq}` : ''}.`}
          />
          <NumberField
            label="Evaluation windows"
            value={config.evalWindows}
            min={0}
            max={100000}
            onChange={(evalWindows) => setConfig({ evalWindows })}
            help="Non-overlapping windows of the evaluation part; 0 = all of them."
          />
        </div>
      </div>
      <TextStatsCard />
    </div>
  );
}

function CustomText() {
  const text = useStudio((s) => s.customText);
  const name = useStudio((s) => s.customTextName);
  const file = useStudio((s) => s.customFile);
  const setCustomText = useStudio((s) => s.setCustomText);
  const setCustomFile = useStudio((s) => s.setCustomFile);
  const prepareText = useStudio((s) => s.prepareText);
  const hasModel = useStudio((s) => s.model !== null);
  const areaId = useId();
  const fileId = useId();
  return (
    <div className="field">
      {file ? (
        // An uploaded file is never put into the page (a 50 MB textarea freezes it): the worker reads it.
        <div className="row" data-testid="custom-file">
          <span>
            Uploaded <strong>{file.name}</strong> ({formatBytes(file.size)}): read and tokenized in the engine worker, not in the page.
          </span>
          <button onClick={() => setCustomFile(null)}>Paste text instead</button>
        </div>
      ) : (
        <>
          <label htmlFor={areaId}>Paste text</label>
          <textarea
            id={areaId}
            rows={8}
            value={text}
            placeholder="Paste a few hundred kilobytes of plain text: the first 40% calibrates, the rest is for evaluation."
            onChange={(e) => setCustomText(e.target.value, 'pasted text')}
          />
        </>
      )}
      <div className="row">
        <label htmlFor={fileId} className="button">
          Upload a .txt file…
        </label>
        <input
          id={fileId}
          className="visually-hidden"
          type="file"
          accept=".txt,.md,.raw,text/plain"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (!f) return;
            setCustomFile(f);
            if (hasModel) void prepareText();
          }}
        />
        <button disabled={!hasModel || (!file && text.trim() === '')} onClick={() => void prepareText()}>
          Count tokens
        </button>
        <span className="small muted">
          {file ? formatBytes(file.size) : `${formatCount(text.length)} characters`}
          {name && !file ? ` from ${name}` : ''}. Not stored, not part of links.
        </span>
      </div>
    </div>
  );
}

/** Tokenizing in the worker, with how far it has come and a Cancel. */
function CountingNotice({ modelName }: { modelName: string }) {
  const text = useStudio((s) => s.text);
  const cancel = useStudio((s) => s.cancelText);
  const p = text.status === 'counting' ? text.progress : undefined;
  const share = p && p.totalChars > 0 ? p.doneChars / p.totalChars : undefined;
  return (
    <div className="notice info" role="status" data-testid="text-counting">
      <div>
        Counting tokens with {modelName}’s tokenizer…
        {p && (
          <>
            {' '}
            <span data-testid="text-progress">
              {formatCount(p.doneChars)} of {formatCount(p.totalChars)} characters ({Math.floor(100 * (share ?? 0))}%)
            </span>
            <progress max={1} value={share} />
          </>
        )}
        <div className="small muted">In the engine worker, once: runs on this text reuse the token ids.</div>
      </div>
      <button onClick={cancel}>Cancel</button>
    </div>
  );
}

function TextStatsCard() {
  const text = useStudio((s) => s.text);
  const config = useStudio((s) => s.config);
  const model = useStudio((s) => s.model);
  if (!model) return <div className="empty">Load a model first: token counts depend on its tokenizer.</div>;
  if (text.status === 'counting') return <CountingNotice modelName={model.name} />;
  if (text.status === 'failed') {
    return (
      <div className="notice error" role="alert">
        <div>{text.error.message}</div>
      </div>
    );
  }
  if (text.status !== 'ready') return null;
  const s = text.stats;
  const plan = planText(config, s, model);
  return (
    <div className="card" data-testid="text-stats">
      <h3>Tokens ({model.name} tokenizer)</h3>
      <div className="grid-2">
        <dl className="kv">
          <dt>Split</dt>
          <dd className="small">{s.split}</dd>
          <dt>Calibration part</dt>
          <dd>
            <span data-testid="calib-tokens">{s.calibTokens.toLocaleString('en-US')}</span> tokens ({formatCount(s.calibChars)} characters)
          </dd>
          <dt>Evaluation part</dt>
          <dd>
            <span data-testid="eval-tokens">{s.evalTokens.toLocaleString('en-US')}</span> tokens ({formatCount(s.evalChars)} characters)
          </dd>
        </dl>
        <dl className="kv">
          <dt>Calibration used</dt>
          <dd>
            {config.calibSamples} samples × {config.seqLen} tokens = {plan.calibTokensDrawn.toLocaleString('en-US')} tokens
          </dd>
          <dt>Evaluation used</dt>
          <dd>
            {plan.windowsUsed} of {plan.windowsAvailable} windows × {config.seqLen} tokens, {plan.scoredTokens.toLocaleString('en-US')} scored
          </dd>
        </dl>
      </div>
      {s.calibChars + s.evalChars > LARGE_TEXT_CHARS && (
        <p className="small muted" data-testid="text-cap">
          A large text: calibration needs at most {plan.calibTokensDrawn.toLocaleString('en-US')} tokens ({config.calibSamples} samples × {config.seqLen}),
          drawn at seeded random offsets from the calibration part only, its first {formatCount(s.calibChars)} characters; the other {formatCount(s.evalChars)}{' '}
          characters are for evaluation ({plan.windowsUsed} windows used). Tokenized once: runs reuse these ids.
        </p>
      )}
      {plan.problems.length > 0 && (
        <div className="notice error" role="alert" data-testid="text-problems">
          <div>
            <strong>Not enough text for these settings; runs will not start:</strong>
            <ul>
              {plan.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {plan.warnings.length > 0 && (
        <div className="notice warn" role="status">
          <div>
            <ul>
              {plan.warnings.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}
