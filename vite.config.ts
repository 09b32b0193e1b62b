import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './src/security/csp-plugin.ts'; // the extension lets Node load the config natively

// One config serves the studio (dev/build), vitest (unit tests in Node) and the Node CLI bundle.
export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  worker: { format: 'es' },
  // Scan every page and GPU test up front so the dev server never re-optimizes dependencies (and
  // reloads the page) in the middle of a test.
  optimizeDeps: { entries: ['index.html', 'e2e/harness.html', 'src/**/*.gpu-test.ts', 'src/worker/*.ts'] },
  // Test servers (STUDIO_TEST=1) neither watch files nor hot-reload: an edit elsewhere must not
  // reload a page in the middle of a GPU test.
  server: process.env.STUDIO_TEST ? { hmr: false, watch: null } : { port: 5173 },
  build: { target: 'es2022', sourcemap: true },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
