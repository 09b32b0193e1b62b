// Where the studio specs write screenshots: test-results/ by default; STUDIO_SHOTS moves them
// (several people share test-results/, and Playwright empties it at the start of every run).
export function shot(name: string): string {
  return `${process.env.STUDIO_SHOTS ?? 'test-results'}/${name}.png`;
}
