export function findChromium(): string | undefined;
export function findPlaywrightChromium(): Promise<string | undefined>;
