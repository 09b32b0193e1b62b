// The line Inspect shows after an export: what was written, under the names the files have where
// they arrived (a folder delivered as downloads arrives as prefixed files, one by one).
import type { ExportReport } from '../export/types';
import { formatBytes } from './format';

/** What the export wrote, under the names the files have where they arrived. */
export function exportedLine(report: ExportReport, downloadPrefix: string | null): string {
  const files = report.files.map((f) => `${(downloadPrefix ?? '') + f.name} (${formatBytes(f.bytes)})`).join(', ');
  if (downloadPrefix === null) return `Wrote ${files}`;
  if (downloadPrefix === '') return `Downloaded ${files}`;
  return `This browser cannot write a folder here, so its ${report.files.length} files were downloaded one by one, each named with the prefix "${downloadPrefix}": ${files}`;
}
