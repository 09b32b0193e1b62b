import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `npm run screenshots`: the README's screenshots (docs/screenshots/), taken by
// e2e/readme-screenshots.shots.ts on the bundled model. Not part of `npm test`: its file name
// does not match the test suite's *.spec.ts.
export default defineConfig({
  ...base,
  testMatch: '*.shots.ts',
  workers: 1,
  timeout: 1_800_000,
});
