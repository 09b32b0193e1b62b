// Bundles a Node entry of the engine into one file: src/cli/<name>.ts -> dist-node/<name>.mjs.
// Vite's SSR build keeps `import.meta.glob` (the WGSL shaders are inlined as text); only the
// `webgpu` package (Dawn's native addon) and Node built-ins stay external.
// Usage: node scripts/build-node.mjs <name> [more names...]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';

const names = process.argv.slice(2);
if (!names.length) {
  console.error('usage: node scripts/build-node.mjs <entry name in src/cli> ...');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');

for (const name of names) {
  const entry = resolve(root, 'src/cli', `${name}.ts`);
  if (!existsSync(entry)) {
    console.error(`no entry ${entry}`);
    process.exit(2);
  }
  await build({
    root,
    configFile: false,
    publicDir: false, // the bundle needs none of the app's static files
    logLevel: 'warn',
    ssr: { noExternal: true, external: ['webgpu'] },
    build: {
      ssr: entry,
      outDir: 'dist-node',
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      sourcemap: false,
      rollupOptions: {
        external: ['webgpu', /^node:/],
        output: { format: 'es', entryFileNames: `${name}.mjs`, codeSplitting: false },
      },
    },
  });
  console.log(`dist-node/${name}.mjs`);
}
