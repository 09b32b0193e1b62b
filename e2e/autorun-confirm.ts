// A link with autorun=1 asks before a long run (or one not yet timed on this device) starts: the
// tests that start runs from links confirm it the way a person does.
import { expect, type Page } from '@playwright/test';

/** The link's question is shown with the expected time; click "Start the run". */
export async function confirmAutorun(page: Page): Promise<void> {
  const ask = page.getByTestId('autorun-confirm');
  await expect(ask).toContainText('Expected time', { timeout: 60_000 });
  await expect(page.getByTestId('run-progress')).toHaveCount(0);
  await ask.getByRole('button', { name: 'Start the run' }).click();
  await expect(ask).toHaveCount(0);
}

/** Where this device has timed a run, a short one starts at once: confirm only if asked. */
export async function confirmAutorunIfAsked(page: Page): Promise<void> {
  const ask = page.getByTestId('autorun-confirm');
  await expect(ask.or(page.getByTestId('run-progress'))).toBeVisible({ timeout: 60_000 });
  if (await ask.isVisible()) await ask.getByRole('button', { name: 'Start the run' }).click();
}
