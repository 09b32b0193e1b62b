import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// One config serves the studio (dev/build), vitest (unit tests in Node) and the Node CLI bundle.
export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
  build: { target: 'es2022', sourcemap: true },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
