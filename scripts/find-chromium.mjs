// Finds a Chromium for the GPU and end-to-end tests: CHROMIUM_PATH, Debian's /usr/bin/chromium,
// or the browser Playwright itself installed. Returns undefined when there is none.
import { existsSync } from 'node:fs';

export function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return undefined;
}

export async function findPlaywrightChromium() {
  try {
    const { chromium } = await import('@playwright/test');
    const p = chromium.executablePath();
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}
