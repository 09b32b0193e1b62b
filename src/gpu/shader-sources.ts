// Every WGSL file under shaders/, bundled as text by Vite (app, worker, tests and the Node CLI).
const modules = import.meta.glob('../../shaders/**/*.wgsl', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

export const shaderSources: Record<string, string> = Object.fromEntries(Object.entries(modules).map(([path, src]) => [path.replace(/^.*shaders\//, ''), src]));
