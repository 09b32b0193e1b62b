// `--name value` from the command line of the small benchmark entries (bench-encode,
// bench-small-products), or the fallback where it is absent.
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
