/**
 * What the browser tests share: Debian's Chromium driven by playwright-core
 * (skipped with a reason when it is missing), where screenshots go, and
 * signing in through the page's own form.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN_PASSWORD } from '@vantage/backend/testing';
import { REPO_ROOT } from './processes.ts';

export const CHROMIUM = process.env.VANTAGE_CHROMIUM ?? '/usr/bin/chromium';
/** false, or why browser tests are skipped. */
export const missingBrowser = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium)`;
export const SHOTS = join(REPO_ROOT, 'test-output', 'browser');

export async function launchBrowser(): Promise<Browser> {
  await mkdir(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Opens `url` and signs in as the test administrator; resolves once the top bar shows. */
export async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel(/user ?name/i).fill('admin');
  await page.getByLabel(/password/i).fill(TEST_ADMIN_PASSWORD);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.getByTestId('topbar').waitFor({ timeout: 15_000 });
}
