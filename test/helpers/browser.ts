import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, installed by scripts/setup.mjs --test; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run npm test (its setup installs Debian's chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no network beyond the package registries: no background calls, no component updates.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Signs `page` in to the dashboard at `apiUrl` with `apiKey`, as a merchant does, and waits for the overview. The
 * sign-in page in English unless `labels` says otherwise (a context in another locale).
 */
export async function signIn(
  page: Page,
  apiUrl: string,
  apiKey: string,
  labels: { apiKey: string; submit: string } = { apiKey: 'API key', submit: 'Sign in' },
): Promise<void> {
  await page.goto(`${apiUrl}/dashboard/login`);
  await page.getByLabel(labels.apiKey).fill(apiKey);
  await page.getByRole('button', { name: labels.submit }).click();
  await page.waitForURL((url) => url.pathname === '/dashboard');
}
