// Fails at once, with what to do, when no Chromium can run the GPU tests.
import { findChromium, findPlaywrightChromium } from './find-chromium.mjs';

const found = findChromium() ?? (await findPlaywrightChromium());
if (!found) {
  console.error(`No Chromium found for the WebGPU tests.
Install one of:
  - Debian/Ubuntu:   sudo apt-get install chromium        (gives /usr/bin/chromium)
  - any browser build: export CHROMIUM_PATH=/path/to/chromium
  - Playwright's own: npx playwright install chromium`);
  process.exit(1);
}
console.log(`Chromium for GPU tests: ${found}`);
