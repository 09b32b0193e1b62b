// History: every finished run kept in IndexedDB. Reopen in Inspect, pick for Compare, download
// or import as JSON, delete.
import { useEffect, useId, useRef, useState } from 'react';
import type { RunResult } from '../../core/run-types';
import { parseRunJson, runFileName, runToJson } from '../../engine/history';
import { downloadText } from '../download';
import { finishedAt, formatDate, formatPpl, formatSigned, runLabel } from '../format';
import { reproducibleLink, useStudio } from '../store';

export function HistoryPanel() {
  const runs = useStudio((s) => s.history);
  const error = useStudio((s) => s.historyError);
  const unsavedIds = useStudio((s) => s.unsavedIds);
  const compareIds = useStudio((s) => s.compareIds);
  const inspectId = useStudio((s) => s.inspectId);
  const { openInInspect, toggleCompare, removeFromHistory, addToHistory, setSection, setConfig } = useStudio.getState();
  const running = useStudio((s) => s.run?.status === 'running');
  const [importNote, setImportNote] = useState<string | null>(null);
  // The last deleted run, kept here so Delete can be undone (it is gone from IndexedDB already).
  const [deleted, setDeleted] = useState<RunResult | null>(null);
  const undoRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (deleted) undoRef.current?.focus();
  }, [deleted]);
  async function remove(r: RunResult) {
    await removeFromHistory(r.id);
    // A cancelled run's checkpoint goes with it, so Unfinished runs does not keep offering it.
    const s = useStudio.getState();
    if (s.checkpoints.some((c) => c.runId === r.id)) await s.discardCheckpoint(r.id);
    setDeleted(r);
  }
  const importId = useId();

  async function importFiles(files: FileList | null) {
    if (!files) return;
    const notes: string[] = [];
    for (const f of Array.from(files)) {
      try {
        const run = parseRunJson(await f.text());
        const saved = await addToHistory(run);
        notes.push(`${f.name}: ${saved ? 'imported' : 'listed for this tab only (not saved)'} as ${runLabel(run)}.`);
      } catch (e) {
        notes.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    setImportNote(notes.join(' '));
  }

  return (
    <div className="panel">
      <div className="card">
        <div className="row">
          <p className="muted">
            Runs are kept in this browser (IndexedDB) until you delete them. {runs.length - unsavedIds.length} saved
            {unsavedIds.length > 0 && `, ${unsavedIds.length} in this tab only`}.
          </p>
          <span className="spacer" />
          <label htmlFor={importId} className="button">
            Import run JSON…
          </label>
          <input
            id={importId}
            type="file"
            accept="application/json,.json"
            multiple
            className="visually-hidden"
            onChange={(e) => {
              void importFiles(e.target.files);
              e.target.value = '';
            }}
          />
          <button disabled={compareIds.length === 0} onClick={() => setSection('compare')}>
            Compare {compareIds.length} selected
          </button>
        </div>
        {importNote && (
          <div className="notice info" role="status">
            <div>{importNote}</div>
          </div>
        )}
        {deleted && (
          <div className="notice info" role="status" data-testid="history-deleted">
            <div>
              Deleted {runLabel(deleted)} ({deleted.id}).
            </div>
            <button
              ref={undoRef}
              onClick={() => {
                void addToHistory(deleted);
                setDeleted(null);
              }}
            >
              Undo
            </button>
            <button onClick={() => setDeleted(null)} aria-label="Dismiss the note about the deleted run">
              Dismiss
            </button>
          </div>
        )}
        {error && (
          <div className="notice error" role="alert">
            <div>{error}</div>
          </div>
        )}
      </div>
      {runs.length === 0 ? (
        <div className="empty">No runs yet. Finished runs appear here and stay after a reload.</div>
      ) : (
        <div className="card" style={{ overflowX: 'auto' }}>
          <table data-testid="history-table">
            <thead>
              <tr>
                <th scope="col">Compare</th>
                <th scope="col">Run</th>
                <th scope="col">Finished</th>
                <th scope="col" className="num">
                  ppl fp32
                </th>
                <th scope="col" className="num">
                  ppl quantized
                </th>
                <th scope="col" className="num">
                  Δ ppl
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const label = runLabel(r);
                const delta = r.pplQuant - r.pplFp;
                return (
                  <tr key={r.id} data-run-id={r.id} aria-current={inspectId === r.id ? 'true' : undefined}>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Compare ${label} (${r.id})`}
                        checked={compareIds.includes(r.id)}
                        onChange={() => toggleCompare(r.id)}
                      />
                    </td>
                    <td>
                      <strong className="nowrap">{label}</strong>
                      {r.status !== 'done' && <span className="worse"> · {r.status}</span>}
                      {unsavedIds.includes(r.id) && (
                        <span className="worse" data-testid="unsaved-run">
                          {' '}
                          · not saved (this tab only){' '}
                          <button onClick={() => void addToHistory(r)} aria-label={`Save ${label} (${r.id}) again`}>
                            Save again
                          </button>
                        </span>
                      )}
                      <div className="small muted">
                        {r.model} · <span className="mono">{r.id}</span>
                      </div>
                    </td>
                    <td className="small nowrap" title={`Started ${formatDate(r.createdAt)}`}>
                      {formatDate(finishedAt(r))}
                    </td>
                    <td className="num">{formatPpl(r.pplFp)}</td>
                    <td className="num">{formatPpl(r.pplQuant)}</td>
                    <td className={`num ${delta > 0 ? 'worse' : 'better'}`}>{formatSigned(delta)}</td>
                    <td>
                      <div className="row actions">
                        <button onClick={() => openInInspect(r.id)} aria-label={`Inspect ${label} (${r.id})`}>
                          Inspect
                        </button>
                        <button onClick={() => downloadText(runFileName(r), runToJson(r))} aria-label={`Download ${label} (${r.id}) as JSON`}>
                          JSON
                        </button>
                        <button
                          onClick={() => setConfig(r.config)}
                          disabled={running}
                          aria-label={`Use the settings of ${label} (${r.id})`}
                          title={
                            running
                              ? 'Not while a run is in progress: its settings are the ones shown in Run'
                              : "Load this run's settings into Model, Data and Method"
                          }
                        >
                          Settings
                        </button>
                        <a
                          className="button"
                          href={reproducibleLink(r.config)}
                          aria-label={`Link that reruns ${label} (${r.id})`}
                          title="Opens the studio with these settings and starts the run (asking first, with the expected time, when it is a long one)"
                        >
                          Rerun link
                        </a>
                        <button className="danger" onClick={() => void remove(r)} aria-label={`Delete ${label} (${r.id})`}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
