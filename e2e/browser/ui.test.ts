/**
 * The three things users come for, in a real browser (Debian's chromium,
 * driven by playwright-core): sign in; register a monitor with the command
 * the UI shows, run that real vantage-poller, see it appear live and approve
 * it; see its service turn up in the availability matrix, stop the target
 * and see the cell change; pause the monitor from its page, see the poller
 * stop polling and the paused event listed (worded and filtered by the
 * backend's event catalogue), and the alarm the outage raised; resume it.
 * Then the location's registration token: create it, rotate it (the panel
 * shows the new one; the backend refuses the old one at once), revoke it.
 * All of it under the page's Content-Security-Policy: no step may make the
 * browser report a violation. Every step saves a screenshot under
 * test-output/browser/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_ADMIN_PASSWORD, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { HttpTarget } from '../support/http-target.ts';
import { freePort, REPO_ROOT, startBackendProcess, startProcess, type RunningProcess } from '../support/processes.ts';

const CHROMIUM = process.env.VANTAGE_CHROMIUM ?? '/usr/bin/chromium';
const missingBrowser = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium)`;
const SHOTS = join(REPO_ROOT, 'test-output', 'browser');

let storage: TestStorage;
let backend: RunningProcess;
let poller: RunningProcess | undefined;
let browser: Browser;
let page: Page;
let base: string;
let target: HttpTarget;
let targetPort: number;
let shot = 0;
/** Content-Security-Policy violations the browser reported, from the console and from the DOM event. */
const cspViolations: string[] = [];

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}
/** Reloads until `selector` matches (for pages that refresh on their own, the first look usually does). */
async function eventuallyVisible(selector: string, timeoutMs: number, reload = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await page.locator(selector).count()) > 0) return;
    if (Date.now() > deadline) {
      await screenshot('failed-wait');
      assert.fail(`nothing matched ${selector} within ${timeoutMs} ms`);
    }
    if (reload) await page.reload();
    await page.waitForTimeout(reload ? 1_000 : 250);
  }
}

before(async () => {
  if (missingBrowser) return;
  await mkdir(SHOTS, { recursive: true });
  storage = await createTestStorage();
  targetPort = await freePort();
  target = new HttpTarget(targetPort, 'shop is open');
  await target.start();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <poller-settings check-in-interval="1000" disconnect-timeout="4000"/>
      <package name="web">
        <specific node-label="shop">127.0.0.1</specific>
        <service name="HTTP" interval="1000"><parameter key="port" value="${targetPort}"/><parameter key="timeout" value="500"/></service>
      </package>
      <monitor service="HTTP" type="http"/>
      <location name="RDU" monitoring-area="raleigh"><polling-package name="web"/></location>
      <application name="Shop"><service package="web" node="shop" name="HTTP"/></application>
    </poller-configuration>`,
  );
  const port = await freePort();
  backend = await startBackendProcess({ configPath, port, dataDir: storage.dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.exposeFunction('reportCspViolation', (text: string) => cspViolations.push(text));
  // Runs in the page before its own scripts (a string: this file is compiled without the DOM's types).
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => void window.reportCspViolation(e.violatedDirective + ': ' + e.blockedURI));",
  );
});

after(async () => {
  if (missingBrowser) return;
  await browser?.close();
  await poller?.stop('SIGKILL');
  await backend?.stop();
  await target?.stop();
  await storage?.cleanup();
});

void test('sign in, register and approve a monitor, see availability change, pause and resume it', { skip: missingBrowser }, async (t) => {
  t.after(() => {
    if (!passed) console.log(`--- backend ---\n${backend.output.join('\n')}\n--- poller ---\n${poller?.output.join('\n') ?? ''}`);
  });
  let passed = false;

  // Sign in. The page comes with its policy.
  const pageResponse = await page.goto(`${base}/locations`);
  const policy = (await pageResponse!.allHeaders())['content-security-policy'] ?? '';
  assert.match(policy, /script-src 'self' 'sha256-/, 'the page carries its Content-Security-Policy');
  assert.doesNotMatch(policy, /unsafe-inline/);
  await page.getByLabel(/user ?name/i).fill('admin');
  await page.getByLabel(/password/i).fill(TEST_ADMIN_PASSWORD);
  await screenshot('sign-in');
  await page.getByRole('button', { name: /sign in/i }).click();

  // The register panel shows the exact command; run it, as an operator would on the remote host.
  const commandBox = page.getByTestId('register-command-RDU');
  await commandBox.waitFor({ timeout: 15_000 });
  const command = (await commandBox.textContent())!.trim();
  assert.match(command, /^npx vantage-poller --server ws:\/\/127\.0\.0\.1:\d+\/rpc --location RDU --name \S+/);
  await screenshot('register-panel');
  const args = command.replace(/^npx vantage-poller\s+/, '').split(/\s+/);
  const name = args[args.indexOf('--name') + 1]!;
  poller = startProcess('vantage-poller', 'frontend-poller/bin/vantage-poller.js', [
    ...args,
    '--state-dir',
    join(storage.dataDir, 'poller-state'),
    '--approval-retry-ms',
    '500',
  ]);

  // It appears live, pending; approve it.
  const row = page.getByTestId(`monitor-${name}`);
  await row.waitFor({ timeout: 15_000 });
  await eventuallyVisible(`[data-testid="monitor-${name}"][data-status="PENDING"]`, 10_000);
  await screenshot('monitor-pending');
  await row.getByRole('button', { name: /^approve$/i }).click();
  await eventuallyVisible(`[data-testid="monitor-${name}"][data-status="STARTED"]`, 15_000);
  await poller.waitForLine(/polling 1 service/, 15_000);
  // Which backend instance holds its connection (host:port), and since when.
  await eventuallyVisible(`[data-testid="connection-${name}"]:has-text(":${new URL(base).port}")`, 15_000, true);
  assert.match((await page.getByTestId(`connection-${name}`).textContent()) ?? '', /since/);
  await screenshot('monitor-started');

  // The availability matrix: the Shop is up from RDU; stop the target and the cell goes down.
  await page.goto(`${base}/availability`);
  await eventuallyVisible('[data-testid="cell-Shop-RDU"][data-state="up"]', 20_000, true);
  await screenshot('availability-up');
  // The cell's detail draws response times with uPlot, under the same policy.
  await page.getByTestId('cell-Shop-RDU').click();
  // The detail is in the URL, so a reload shows it again, with the response times stored meanwhile.
  await eventuallyVisible(`[data-testid="chart-monitor-${name}"] canvas`, 30_000, true);
  await screenshot('availability-detail');
  await page.getByTestId('close-detail').click();
  await target.stop();
  await eventuallyVisible('[data-testid="cell-Shop-RDU"][data-state="down"]', 20_000, true);
  const cellText = await page.getByTestId('cell-Shop-RDU').textContent();
  assert.match(cellText ?? '', /down/i, 'the state is written, not only coloured');
  await screenshot('availability-down');
  await target.start();

  // Pause it from its page: the poller stops polling and the paused event is listed.
  await page.goto(`${base}/locations`);
  await page.getByTestId(`monitor-${name}`).getByRole('button', { name: /^pause$/i }).click();
  await eventuallyVisible(`[data-testid="monitor-${name}"][data-status="PAUSED"]`, 15_000);
  await poller.waitForLine(/paused by an administrator/, 15_000);
  await screenshot('monitor-paused');
  await page.goto(`${base}/events`);
  await eventuallyVisible('[data-testid="event-row"]:has-text("locationMonitorPaused")', 15_000, true);
  await screenshot('events');

  // Event labels and the event filter come from the backend's catalogue (GET /api/events/catalogue).
  const pausedRow = page.locator('[data-testid="event-row"][data-uei="locationMonitorPaused"]').first();
  assert.match((await pausedRow.textContent()) ?? '', /A remote location monitor has been paused/);
  await page.getByTestId('filter-uei').selectOption('uei.opennms.org/remote/locationMonitorPaused');
  await page.locator('[data-testid="event-row"]:not([data-uei="locationMonitorPaused"])').first().waitFor({ state: 'detached', timeout: 10_000 });
  assert.ok((await page.locator('[data-testid="event-row"][data-uei="locationMonitorPaused"]').count()) > 0);
  await screenshot('events-filtered');

  // Alarms: the lost service raised one (cleared since); only events that raise alarms are offered as filters.
  await page.goto(`${base}/alarms`);
  await page.getByTestId('filter-state').selectOption('all');
  await eventuallyVisible('[data-testid="alarm-row"][data-uei="nodeLostService"]', 15_000);
  const offered = await Promise.all((await page.getByTestId('filter-uei').locator('option').all()).map((o) => o.getAttribute('value')));
  assert.ok(offered.includes('uei.opennms.org/remote/nodes/nodeLostService'), 'a lost service raises alarms');
  assert.ok(!offered.includes('uei.opennms.org/remote/nodes/nodeRegainedService'), 'a regained service only clears them');
  await screenshot('alarms');

  // Resume it.
  await page.goto(`${base}/locations`);
  await page.getByTestId(`monitor-${name}`).getByRole('button', { name: /^resume$/i }).click();
  await eventuallyVisible(`[data-testid="monitor-${name}"][data-status="STARTED"]`, 15_000);
  await poller.waitForLine(/resumed: polling 1 service/, 15_000);
  await screenshot('monitor-resumed');

  // On a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/availability`);
  await eventuallyVisible('[data-testid="matrix"]', 10_000);
  await screenshot('availability-phone');
  assert.deepEqual(cspViolations, [], 'the web UI works within its Content-Security-Policy');
  passed = true;
});

/** Registers a monitor at RDU over POST /rpc with a token, waiting out -32010 as a poller does; the status or the error. */
async function registerWithToken(token: string): Promise<{ status?: string; code?: number; message?: string }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const response = await fetch(`${base}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: attempt, method: 'registerLocationMonitor', params: { location: 'RDU', name: 'token-check', token } }),
    });
    const body = (await response.json()) as { result?: { status: string }; error?: { code: number; message: string; data?: { retryAfterMs?: number } } };
    if (body.error?.code === -32010) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(body.error!.data?.retryAfterMs ?? 1_000, 5_000)));
      continue;
    }
    return body.error ? { code: body.error.code, message: body.error.message } : { status: body.result!.status };
  }
  assert.fail('the backend kept answering -32010');
}

/** Waits until the register panel's command carries a token other than `previous`, and returns it. */
async function tokenInPanel(previous?: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const command = ((await page.getByTestId('register-command-RDU').textContent()) ?? '').trim();
    const match = /^VANTAGE_TOKEN='([A-Za-z0-9_-]+)' npx vantage-poller --server ws:\/\/127\.0\.0\.1:\d+\/rpc --location RDU --name \S+$/.exec(command);
    if (match && match[1] !== previous) return match[1]!;
    if (Date.now() > deadline) {
      await screenshot('failed-token');
      assert.fail(`the register panel shows no new token: ${command}`);
    }
    await page.waitForTimeout(200);
  }
}

void test('create, rotate and revoke the registration token from the register panel', { skip: missingBrowser }, async () => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base}/locations`);
  const panel = page.getByTestId('register-RDU');
  await panel.getByRole('button', { name: 'Create token' }).click();
  const first = await tokenInPanel();
  assert.match((await page.getByTestId('register-note-RDU').textContent()) ?? '', /shown this once/);
  await screenshot('token-created');

  // Rotating asks first, since the current token stops working.
  await panel.getByRole('button', { name: 'Rotate token' }).click();
  await page.getByTestId('confirm-ok').click();
  const second = await tokenInPanel(first);
  await screenshot('token-rotated');
  assert.equal((await registerWithToken(second)).status, 'REGISTERED', 'the token the panel shows registers');
  const old = await registerWithToken(first);
  assert.equal(old.code, -32003, 'the old token is refused at once');
  assert.match(old.message ?? '', /revoked/);

  // The page shows the monitor just registered (a live refresh adds its row above the panel) before the next click:
  // a row arriving between Playwright's look at the button and its click moved the button from under the pointer.
  await page.getByTestId('monitor-token-check').waitFor({ timeout: 15_000 });
  await panel.getByRole('button', { name: 'Revoke token' }).click();
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('register-command-RDU').filter({ hasText: /^npx vantage-poller / }).waitFor({ timeout: 15_000 });
  assert.match((await page.getByTestId('register-note-RDU').textContent()) ?? '', /waits as PENDING/);
  await screenshot('token-revoked');
  assert.equal((await registerWithToken(second)).code, -32003, 'a revoked token is refused');
});
