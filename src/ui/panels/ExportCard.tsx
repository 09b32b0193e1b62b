// Export the quantized model the worker holds (the latest finished run) in formats other tools
// load, and check the ONNX export in onnxruntime-web against the studio's own perplexity.
import { useEffect, useState } from 'react';
// Only light modules here: the exporters (and protobufjs) load in the worker, on demand.
import { FORMAT_TITLES, type ExportAvailability, type ExportFormat, type ExportReport } from '../../export/types';
import { downloadBlobs, pickExportTarget } from '../../export/sink';
import type { OnnxCheck } from '../../export/onnx-runtime';
import { engine } from '../engine-client';
import { exportedLine } from '../export-line';

export function ExportCard({ runId }: { runId: string }) {
  const [held, setHeld] = useState<{ runId: string; options: ExportAvailability[] } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // Where the files went: written to the picked file or folder, or downloads (a folder's files then
  // arrive one by one, each name prefixed with the folder's).
  const [report, setReport] = useState<{ report: ExportReport; downloadPrefix: string | null } | null>(null);
  const [check, setCheck] = useState<{ backend: 'WASM' | 'WebGPU'; result: OnnxCheck } | null>(null);

  useEffect(() => {
    void engine()
      .exportOptions()
      .then(setHeld, () => setHeld(null));
  }, [runId]);

  if (!held || held.runId !== runId) {
    return (
      <div className="card">
        <h3>Export</h3>
        <p className="muted small">Export works on the latest run of this session (its codes live in the engine): run it again to export it.</p>
      </div>
    );
  }

  const doExport = async (a: ExportAvailability) => {
    setMessage(null);
    setReport(null);
    const target = await pickExportTarget({ folder: a.folder, suggestedName: a.suggestedName });
    if (!target) return;
    setBusy(a.format);
    try {
      const out = await engine().exportRun(a.format as ExportFormat, target);
      const prefix = a.folder ? `${a.suggestedName}-` : '';
      if (out.downloads.length) downloadBlobs(new Map(out.downloads), prefix);
      setReport({ report: out.report, downloadPrefix: out.downloads.length ? prefix : null });
    } catch (e) {
      setMessage((e as { message?: string }).message ?? String(e));
    } finally {
      setBusy(null);
    }
  };

  const doCheck = async (ep: 'wasm' | 'webgpu') => {
    setMessage(null);
    setCheck(null);
    setBusy(`check-${ep}`);
    try {
      setCheck({ backend: ep === 'wasm' ? 'WASM' : 'WebGPU', result: await engine().checkOnnx(ep) });
    } catch (e) {
      setMessage((e as { message?: string }).message ?? String(e));
    } finally {
      setBusy(null);
    }
  };

  const onnx = held.options.find((o) => o.format === 'onnx');
  return (
    <div className="card">
      <h3>Export</h3>
      <p className="muted small">The files hold the run's stored integer codes, scales and zero points as they are.</p>
      <table className="table">
        <tbody>
          {held.options.map((a) => (
            <tr key={a.format}>
              <td>
                <button type="button" disabled={!a.available || busy !== null} onClick={() => void doExport(a)}>
                  {busy === a.format ? 'Exporting…' : FORMAT_TITLES[a.format]}
                </button>
              </td>
              <td className={a.available ? 'small' : 'small worse'}>{a.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {onnx?.available && (
        <div className="row">
          <button type="button" disabled={busy !== null} onClick={() => void doCheck('wasm')}>
            {busy === 'check-wasm' ? 'Checking…' : 'Check ONNX in onnxruntime-web (WASM)'}
          </button>
          <button type="button" disabled={busy !== null} onClick={() => void doCheck('webgpu')}>
            {busy === 'check-webgpu' ? 'Checking…' : 'Check ONNX in onnxruntime-web (WebGPU)'}
          </button>
        </div>
      )}
      {check && (
        <p className={check.result.ok ? 'small' : 'small worse'} data-testid="onnx-check">
          onnxruntime-web ({check.backend}) perplexity {check.result.ppl.toFixed(5)} vs the studio's {check.result.studioPpl.toFixed(5)}: relative difference{' '}
          {check.result.relDiff.toExponential(2)} ({check.result.ok ? 'within' : 'over'} {check.result.tolerance})
        </p>
      )}
      {report && (
        <p className="small" data-testid="export-report">
          {exportedLine(report.report, report.downloadPrefix)}
          {report.report.notes.length ? `. ${report.report.notes.join(' ')}` : ''}
        </p>
      )}
      {message && <p className="small worse">{message}</p>}
    </div>
  );
}
