/**
 * The web UI on a phone (390 × 844) and on a laptop (1366 px) in a real
 * browser: on the phone every page fits without scrolling sideways (wide
 * tables become cards), Approve and Pause are inside the screen and can be
 * pressed, and the availability matrix says that it scrolls; on the laptop
 * the monitors table fits its card. Screenshots under test-output/browser/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { startServicesBackend, type ServicesFixture } from '@vantage/backend/testing';
import { SHOTS, launchBrowser, missingBrowser, signIn } from '../support/browser.ts';

let fixture: ServicesFixture;
let browser: Browser;

before(async () => {
  if (missingBrowser) return;
  fixture = await startServicesBackend(24);
  // One poller waiting for approval, for its Approve button.
  const pending = await fixture.t.call('registerLocationMonitor', { location: 'LON', name: 'lon-new' });
  assert.ok(pending.result, JSON.stringify(pending.error));
  browser = await launchBrowser();
});

after(async () => {
  if (missingBrowser) return;
  await browser?.close();
  await fixture?.t.close();
});

/**
 * The screen's width: the viewport asked for, and what the page sees as
 * innerWidth (a phone browser widens its layout to content that overflows,
 * so innerWidth alone would hide the overflow).
 */
async function innerWidth(page: Page): Promise<number> {
  const asked = page.viewportSize()!.width;
  assert.equal(await page.evaluate('window.innerWidth'), asked, 'the layout is as wide as the screen (nothing widened it)');
  return asked;
}
const pageScrollWidth = (page: Page) => page.evaluate('document.scrollingElement.scrollWidth') as Promise<number>;

/** The page does not scroll sideways. */
async function fitsSideways(page: Page, what: string): Promise<void> {
  const width = await innerWidth(page);
  assert.ok((await pageScrollWidth(page)) <= width, `${what}: the page is ${await pageScrollWidth(page)} px wide on a ${width} px screen`);
}

/** The element is inside the screen from left to right, and nothing covers its middle (no scroll container clips it). */
async function insideScreen(page: Page, element: Locator, what: string): Promise<void> {
  const testid = await element.getAttribute('data-testid');
  // In the middle of the screen: the sticky top bar is not over it.
  await page.evaluate(`document.querySelector('[data-testid="${testid}"]').scrollIntoView({ block: 'center' })`);
  const box = await element.boundingBox();
  assert.ok(box, `${what} is shown`);
  const width = await innerWidth(page);
  assert.ok(box.x >= 0 && box.x + box.width <= width, `${what} spans ${box.x}…${box.x + box.width} px on a ${width} px screen`);
  // Measured in the page, in one go: the rectangle and what the browser finds at its middle.
  const hit = await page.evaluate(`(() => {
    const target = document.querySelector('[data-testid="${testid}"]');
    const r = target.getBoundingClientRect();
    const el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return el === null ? 'nothing' : target.contains(el) ? true : el.outerHTML.slice(0, 120);
  })()`);
  if (hit !== true) await page.screenshot({ path: join(SHOTS, 'phone-failed.png') });
  assert.equal(hit, true, `${what} is the element at its own middle (not hidden under or clipped)`);
}

void test('on a phone, Approve and Pause are on the screen, no page scrolls sideways, the matrix says it scrolls', { skip: missingBrowser }, async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
  await signIn(page, `${fixture.url}/locations`);
  const approve = page.getByTestId('approve-lon-new');
  await approve.waitFor({ timeout: 15_000 });
  await fitsSideways(page, 'Locations');
  await insideScreen(page, approve, 'Approve');
  await insideScreen(page, page.getByTestId('pause-lon-1'), 'Pause');
  await page.screenshot({ path: join(SHOTS, 'phone-locations.png'), fullPage: true });
  await approve.click();
  await page.locator('[data-testid="monitor-lon-new"]:not([data-status="PENDING"])').waitFor({ timeout: 15_000 });
  await page.getByTestId('pause-lon-1').click();
  await page.locator('[data-testid="monitor-lon-1"][data-status="PAUSED"]').waitFor({ timeout: 15_000 });
  await insideScreen(page, page.getByTestId('resume-lon-1'), 'Resume');

  await page.goto(`${fixture.url}/availability`);
  await page.getByTestId('matrix').waitFor({ timeout: 15_000 });
  await fitsSideways(page, 'Availability');
  // LON's one started monitor is paused, the other approved but not started: the cells say paused, not "no data".
  const lonCell = page.getByTestId('cell-App 1-LON');
  assert.equal(await lonCell.getAttribute('data-state'), 'paused');
  assert.match((await lonCell.textContent()) ?? '', /Paused/);
  assert.doesNotMatch((await lonCell.textContent()) ?? '', /No data/);
  assert.equal(((await page.getByTestId('reporting-LON').textContent()) ?? '').trim(), '0 of 2 monitors checking');
  const hint = page.getByTestId('matrix-wrap-scroll-hint');
  await hint.waitFor({ timeout: 5_000 });
  assert.match((await hint.textContent()) ?? '', /scroll or swipe sideways/);
  await page.screenshot({ path: join(SHOTS, 'phone-availability.png'), fullPage: true });

  for (const [path, ready] of [
    ['/services', '[data-testid^="service-row-"]'],
    [`/services/${encodeURIComponent('node-007/HTTP')}`, '[data-testid="service-chart"]'],
    ['/events', '[data-testid="event-row"]'],
    ['/alarms', '[data-testid="alarm-row"]'],
  ] as const) {
    await page.goto(`${fixture.url}${path}`);
    await page.locator(ready).first().waitFor({ timeout: 15_000 });
    await fitsSideways(page, path);
    await page.screenshot({ path: join(SHOTS, `phone-${path.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.png`), fullPage: true });
  }
  await page.close();
});

void test('on a 1366 px laptop the monitors table fits its card; a stopped monitor offers no Pause', { skip: missingBrowser }, async () => {
  assert.ok((await fixture.t.call('pollerStopping', {}, fixture.monitors.SYD)).result !== undefined, 'syd-1 stops');
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await signIn(page, `${fixture.url}/locations`);
  await page.locator('[data-testid="monitor-syd-1"][data-status="STOPPED"]').waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('pause-syd-1').count(), 0, 'nothing to pause: its poller is shut down');
  assert.match(((await page.getByTestId('checking-SYD').textContent()) ?? '').trim(), /^0 of 1 monitor checking \(1 stopped\)$/);
  const table = page.getByTestId('monitors-LON');
  await table.waitFor({ timeout: 15_000 });
  const [scroll, client] = (await page.evaluate(`(() => { const el = document.querySelector('[data-testid="monitors-LON"]'); return [el.scrollWidth, el.clientWidth]; })()`)) as [number, number];
  assert.ok(scroll <= client, `the monitors table needs ${scroll} px in a ${client} px card`);
  await page.screenshot({ path: join(SHOTS, 'laptop-locations.png'), fullPage: true });
  await page.close();
});
