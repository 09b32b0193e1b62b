// A local load that takes long (issue 18: a GGUF with huge metadata took minutes) can be
// cancelled: the load stops at its next read, the previous model stays, and the next load works.
import { test, expect } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * stories260K.gguf with one more metadata entry, "test.pad": 3,000,000 strings of 8 bytes (48 MB,
 * within the loader's caps, so it is read and parsed in full: seconds). The entry's size is a
 * multiple of the 32-byte alignment, so the tensor data's offsets stay valid.
 */
function paddedGguf(): Buffer {
  const orig = readFileSync('public/models/stories260K.gguf');
  const n = 3_000_000;
  const key = Buffer.from('test.pad');
  const kv = Buffer.alloc(8 + key.length + 4 + 4 + 8 + n * 16);
  let o = kv.writeBigUInt64LE(BigInt(key.length), 0);
  o += key.copy(kv, o);
  o = kv.writeUInt32LE(9, o); // an array
  o = kv.writeUInt32LE(8, o); // of strings
  o = kv.writeBigUInt64LE(BigInt(n), o);
  for (let i = 0; i < n; i++) {
    o = kv.writeBigUInt64LE(8n, o);
    o += kv.write('abcdefgh', o);
  }
  if (kv.length % 32 !== 0) throw new Error('the padding entry must keep the 32-byte alignment');
  const out = Buffer.concat([orig.subarray(0, 24), kv, orig.subarray(24)]);
  out.writeBigUInt64LE(orig.readBigUInt64LE(16) + 1n, 16); // one more metadata entry
  return out;
}

test('a slow local load shows what it has read and stops on Cancel; the previous model stays', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'studio-cancel-'));
  try {
    const big = join(dir, 'padded.gguf');
    const bytes = paddedGguf();
    writeFileSync(big, bytes);
    const mib = (bytes.length / 2 ** 20).toFixed(1);
    await page.goto('/');
    const summary = page.getByTestId('model-summary');
    await expect(summary).toContainText('bundled:stories260K', { timeout: 60_000 });

    await page.getByRole('radio', { name: 'Files on this computer' }).check();
    await page.getByLabel('Choose files…').setInputFiles(big);
    const loading = page.getByTestId('model-loading');
    // Progress counts the bytes read, out of the file's size.
    await expect(loading).toContainText(new RegExp(`padded\\.gguf: [\\d.]+ MiB read \\(of ${mib.replace('.', '\\.')} MiB\\)`), { timeout: 60_000 });
    const readAtCancel = Number(/([\d.]+) MiB read/.exec(await loading.innerText())![1]);
    expect(readAtCancel).toBeLessThan(Number(mib));
    await loading.getByRole('button', { name: 'Cancel' }).click();
    await expect(loading).toHaveCount(0);
    await expect(page.getByTestId('model-error')).toContainText('Loading the model was cancelled');
    await expect(summary).toContainText('bundled:stories260K');

    // The engine is free at once: another local model loads.
    await page.getByLabel('Choose files…').setInputFiles(['public/models/stories260K.bin', 'public/models/tok512.bin']);
    await expect(summary).toContainText(/local:stories260K#[0-9a-f]{10}/, { timeout: 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
