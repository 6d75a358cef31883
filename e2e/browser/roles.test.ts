/**
 * Users and roles in a real browser: the administrator adds a viewer and an
 * operator on the Users page; the viewer sees the monitor but no Pause (nor
 * any other action, nor the Users and Audit pages), and the REST API refuses
 * the viewer's pause with 403 even when sent from the signed-in page; the
 * operator pauses it; the Audit page and the events list name the operator.
 * Screenshots go to test-output/browser/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MonitorCredentials } from '@vantage/common';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TEST_ADMIN_PASSWORD, registerApproved, startTestBackend, type TestBackend } from '@vantage/backend/testing';
import { eventually, REPO_ROOT } from '../support/processes.ts';

const CHROMIUM = process.env.VANTAGE_CHROMIUM ?? '/usr/bin/chromium';
const missingBrowser = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium)`;
const SHOTS = join(REPO_ROOT, 'test-output', 'browser');
const PASSWORD = 'a-long-enough-password';

let t: TestBackend;
let base: string;
let browser: Browser;
let monitor: MonitorCredentials;

before(async () => {
  if (missingBrowser) return;
  await mkdir(SHOTS, { recursive: true });
  t = await startTestBackend();
  base = `http://127.0.0.1:${t.backend.port}`;
  monitor = await registerApproved(t, 'RDU', 'rdu-1');
  await t.call('pollerStarting', {}, monitor);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

after(async () => {
  if (missingBrowser) return;
  await browser?.close();
  await t?.close();
});

/** A fresh browser (its own cookies) signed in as `username`, on the page at `path`. */
async function signedIn(username: string, password: string, path: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`page error (${username}): ${err.message}`));
  await page.goto(`${base}${path}`);
  await page.getByLabel(/user ?name/i).fill(username);
  await page.getByLabel(/password/i).fill(password);
  await page.getByRole('button', { name: /sign in/i }).click();
  await page.getByTestId('current-user').waitFor({ timeout: 15_000 });
  return { context, page };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `roles-${name}.png`), fullPage: true });

/** POST from inside the signed-in page, with its session cookie and CSRF token, as the UI itself would. */
function postFromPage(page: Page, path: string): Promise<{ status: number; error: string }> {
  return page.evaluate(async (p) => {
    const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
    const response = await fetch(p, { method: 'POST', headers: { 'x-csrf-token': session.csrfToken } });
    return { status: response.status, error: ((await response.json()) as { error: string }).error };
  }, path);
}

void test('an administrator adds users; a viewer cannot pause, an operator can, and the audit trail names the operator', { skip: missingBrowser }, async () => {
  // The administrator adds a viewer and an operator on the Users page.
  const admin = await signedIn('admin', TEST_ADMIN_PASSWORD, '/users');
  for (const [username, role] of [
    ['vera', 'viewer'],
    ['otto', 'operator'],
  ] as const) {
    await admin.page.getByTestId('new-user-username').fill(username);
    await admin.page.getByTestId('new-user-role').selectOption(role);
    await admin.page.getByTestId('new-user-password').fill(PASSWORD);
    await admin.page.getByTestId('new-user-create').click();
    await admin.page.getByTestId(`user-${username}`).waitFor({ timeout: 10_000 });
    assert.equal(await admin.page.getByTestId(`user-${username}`).getAttribute('data-role'), role);
  }
  // A password that is too short is refused with the backend's words.
  await admin.page.getByTestId('new-user-username').fill('shorty');
  await admin.page.getByTestId('new-user-password').fill('short');
  await admin.page.getByTestId('new-user-password').evaluate((input) => input.removeAttribute('minlength'));
  await admin.page.getByTestId('new-user-create').click();
  assert.match((await admin.page.getByTestId('new-user-error').textContent({ timeout: 10_000 })) ?? '', /at least 10 characters/);
  await shot(admin.page, 'users-page');
  await admin.context.close();

  // The viewer sees the monitor, and no action on it, nor the pages for operators and administrators.
  const viewer = await signedIn('vera', PASSWORD, '/locations');
  const row = viewer.page.getByTestId('monitor-rdu-1').or(viewer.page.locator('tr', { hasText: 'rdu-1' })).first();
  await row.waitFor({ timeout: 15_000 });
  assert.equal(await viewer.page.getByTestId('pause-rdu-1').count(), 0, 'no Pause for a viewer');
  assert.equal(await viewer.page.getByTestId('delete-rdu-1').count(), 0, 'no Delete for a viewer');
  assert.equal(await viewer.page.getByTestId('pause-all-RDU').count(), 0, 'no Pause all for a viewer');
  assert.equal(await viewer.page.getByTestId('rotate-token-RDU').count(), 0, 'no registration panel for a viewer');
  assert.equal(await viewer.page.getByTestId('nav-users').count(), 0);
  assert.equal(await viewer.page.getByTestId('nav-audit').count(), 0);
  await shot(viewer.page, 'viewer-locations');
  // Sent anyway, from the signed-in page: refused, saying why.
  const refused = await postFromPage(viewer.page, `/api/monitors/${monitor.monitorId}/pause`);
  assert.deepEqual(refused, { status: 403, error: 'this needs the operator role; user "vera" has the viewer role' });
  assert.equal((await t.backend.monitors.get(monitor.monitorId)).paused, false);
  await viewer.context.close();

  // The operator pauses it from the Locations page; Delete stays for administrators.
  const operator = await signedIn('otto', PASSWORD, '/locations');
  await operator.page.getByTestId('pause-rdu-1').click();
  await operator.page.getByTestId('resume-rdu-1').waitFor({ timeout: 15_000 });
  assert.equal((await t.backend.monitors.get(monitor.monitorId)).paused, true);
  assert.equal(await operator.page.getByTestId('delete-rdu-1').count(), 0, 'no Delete for an operator');
  assert.equal(await operator.page.getByTestId('nav-users').count(), 0);
  await shot(operator.page, 'operator-paused');

  // The Audit page names the operator and the monitor.
  await operator.page.getByTestId('nav-audit').click();
  const entry = operator.page.locator('[data-testid="audit-row"][data-action="monitor.pause"]');
  await entry.waitFor({ timeout: 10_000 });
  assert.equal(await entry.getAttribute('data-user'), 'otto');
  assert.equal(await entry.getAttribute('data-target'), monitor.monitorId);
  assert.match((await entry.textContent()) ?? '', /otto\s*monitor\.pause\s*rdu-1 at RDU/);
  await shot(operator.page, 'audit');

  // The events list says who paused.
  await operator.page.getByTestId('nav-events').click();
  const paused = operator.page.locator('[data-testid="event-row"][data-uei="locationMonitorPaused"]');
  await paused.waitFor({ timeout: 10_000 });
  assert.match((await paused.textContent()) ?? '', /by: otto/);
  await shot(operator.page, 'events-paused-by');
  await operator.context.close();

  // Back on the Users page, the administrator makes the operator a viewer and deletes the viewer.
  const again = await signedIn('admin', TEST_ADMIN_PASSWORD, '/users');
  await again.page.getByTestId('role-otto').selectOption('viewer');
  await again.page.locator('[data-testid="user-otto"][data-role="viewer"]').waitFor({ timeout: 10_000 });
  assert.equal((await userRole('otto')), 'viewer');
  await again.page.getByTestId('delete-user-vera').click();
  await again.page.getByTestId('confirm-ok').click();
  await again.page.getByTestId('user-vera').waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await again.page.getByTestId('delete-user-admin').count(), 0, 'no Delete for oneself');
  await again.page.getByTestId('nav-audit').click();
  await again.page.locator('[data-testid="audit-row"][data-action="user.delete"][data-target="vera"]').waitFor({ timeout: 10_000 });
  assert.match((await again.page.locator('[data-testid="audit-row"][data-action="user.change"]').textContent()) ?? '', /admin.*otto.*role viewer/);
  await shot(again.page, 'audit-user-changes');

  // The filters live in the address: a reload shows the same filtered list. A name typed in the user filter survives
  // the list arriving again for another filter before Enter applies it.
  const address = () => again.page.evaluate(() => (globalThis as unknown as { location: { search: string } }).location.search);
  await again.page.getByTestId('audit-filter-user').fill('otto');
  await again.page.getByTestId('audit-filter-action').selectOption('monitor.');
  await eventually('the monitor actions only', async () => (await address()).includes('action=monitor.') && (await again.page.locator('[data-testid="audit-row"][data-action="user.delete"]').count()) === 0, 10_000, 50);
  assert.equal(await again.page.getByTestId('audit-filter-user').inputValue(), 'otto', 'what was typed is still there');
  await again.page.getByTestId('audit-filter-user').press('Enter');
  // Read from the page itself, not by a predicate evaluated in it: its Content-Security-Policy forbids the eval a string predicate needs.
  await eventually('both filters in the address', async () => (await address()).includes('user=otto') && (await address()).includes('action=monitor.'), 10_000, 50);
  await again.page.reload();
  await again.page.locator('[data-testid="audit-row"][data-action="monitor.pause"]').waitFor({ timeout: 10_000 });
  assert.equal(await again.page.getByTestId('audit-filter-action').inputValue(), 'monitor.');
  assert.equal(await again.page.getByTestId('audit-filter-user').inputValue(), 'otto');
  const shown = await again.page.locator('[data-testid="audit-row"]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-user')} ${r.getAttribute('data-action')}`));
  assert.ok(shown.length > 0 && shown.every((row) => row.startsWith('otto monitor.')), shown.join(', '));
  await again.context.close();
});

const userRole = async (username: string) =>
  ((await t.backend.db.manager.query(`SELECT role FROM app_user WHERE username = $1`, [username])) as { role: string }[])[0]?.role;
