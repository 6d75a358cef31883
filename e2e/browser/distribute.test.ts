/**
 * A location in distribute mode in a real browser: the Locations page shows
 * how many of the location's services each monitor polls (its share) and
 * follows a pause; the availability matrix marks the location as shared.
 * Screenshots go to test-output/browser/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MonitorCredentials } from '@vantage/common';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN_PASSWORD, adminFetch, registerApproved, startTestBackend, type TestBackend } from '@vantage/backend/testing';
import { REPO_ROOT } from '../support/processes.ts';

const CHROMIUM = process.env.VANTAGE_CHROMIUM ?? '/usr/bin/chromium';
const missingBrowser = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium)`;
const SHOTS = join(REPO_ROOT, 'test-output', 'browser');
const SERVICES = 20;

const CONFIG = `<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="600000"/>
  <package name="web">
${Array.from({ length: SERVICES }, (_, i) => `    <specific node-label="n${i}">127.0.0.1</specific>`).join('\n')}
    <service name="TCP" interval="60000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="DIST" mode="distribute" min-online="2"><polling-package name="web"/></location>
  <application name="Shop"><service package="web" node="n0" name="TCP"/></application>
</poller-configuration>`;

let t: TestBackend;
let browser: Browser;
let page: Page;
const monitors: MonitorCredentials[] = [];

before(async () => {
  if (missingBrowser) return;
  await mkdir(SHOTS, { recursive: true });
  t = await startTestBackend(CONFIG);
  for (const name of ['dist-1', 'dist-2']) {
    const creds = await registerApproved(t, 'DIST', name);
    await t.call('pollerStarting', {}, creds);
    monitors.push(creds);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
});

after(async () => {
  if (missingBrowser) return;
  await browser?.close();
  await t?.close();
});

const shareText = async (name: string) => ((await page.getByTestId(`share-${name}`).textContent()) ?? '').trim();

void test("the Locations page shows each monitor's share; a pause moves it; the matrix marks the location shared", { skip: missingBrowser }, async () => {
  await page.goto(`http://127.0.0.1:${t.backend.port}/locations`);
  await page.getByLabel(/user ?name/i).fill('admin');
  await page.getByLabel(/password/i).fill(TEST_ADMIN_PASSWORD);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.getByTestId('share-dist-1').waitFor({ timeout: 15_000 });

  const sizes = [];
  for (const name of ['dist-1', 'dist-2']) {
    const match = new RegExp(`^polls (\\d+) of ${SERVICES} services$`).exec(await shareText(name));
    assert.ok(match, `${name}: "${await shareText(name)}"`);
    sizes.push(Number(match[1]));
  }
  assert.equal(sizes[0]! + sizes[1]!, SERVICES, 'the shares add up to the location');
  assert.match((await page.getByTestId('location-DIST').textContent()) ?? '', /monitors share the work \(distribute, at least 2 online\)/);
  await page.screenshot({ path: join(SHOTS, 'distribute-locations.png'), fullPage: true });

  // Paused, dist-2 polls nothing and dist-1 everything (the page follows by itself).
  assert.equal((await adminFetch(`http://127.0.0.1:${t.backend.port}/api/monitors/${monitors[1]!.monitorId}/pause`, { method: 'POST' })).status, 200);
  await page.getByText(`polls ${SERVICES} of ${SERVICES} services`).waitFor({ timeout: 15_000 });
  assert.equal(await shareText('dist-2'), 'polls nothing (not started, or paused)');
  await page.screenshot({ path: join(SHOTS, 'distribute-paused.png'), fullPage: true });

  await page.goto(`http://127.0.0.1:${t.backend.port}/availability`);
  const header = page.getByTestId('matrix-location-DIST');
  await header.waitFor({ timeout: 15_000 });
  assert.match((await header.textContent()) ?? '', /DIST\s*shared/);
});
