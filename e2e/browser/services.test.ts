/**
 * The services pages in a real browser: every service listed with its state
 * per location, status history and sparkline; search and the state,
 * location and application filters narrow the list at once and stay in the
 * address (a reload shows the same list); the service page shows every
 * location on one chart with its outages shaded, from one request.
 * Screenshots go to test-output/browser/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServicesBackend, type ServicesFixture } from '@vantage/backend/testing';
import { SHOTS, launchBrowser, missingBrowser, signIn } from '../support/browser.ts';

const NODES = 30;
let fixture: ServicesFixture;
let browser: Browser;
let page: Page;

before(async () => {
  if (missingBrowser) return;
  fixture = await startServicesBackend(NODES);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
});

after(async () => {
  if (missingBrowser) return;
  await browser?.close();
  await fixture?.t.close();
});

const rowsOf = (p: Page) => p.locator('[data-testid^="service-row-"]');
const rows = () => rowsOf(page);
/** A browser context for the tests that watch a page's frames (WATCHES, in every document), signed in once. */
let watched: BrowserContext | undefined;

/** A new page of that context, `viewport` in size (1366 × 900 by default), given to `use` and closed after it. */
async function withWatchedPage(use: (p: Page) => Promise<void>, viewport = { width: 1366, height: 900 }): Promise<void> {
  if (!watched) {
    watched = await browser.newContext({ viewport });
    for (const content of WATCHES) await watched.addInitScript({ content });
    const first = await watched.newPage();
    await signIn(first, `${fixture.url}/availability`);
    await first.close();
  }
  const p = await watched.newPage();
  try {
    await p.setViewportSize(viewport);
    await use(p);
  } finally {
    await p.close();
  }
}

/** Polls `check` until it holds (the list re-renders as the address changes). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
/** The REST requests `p` makes during `act` and a moment after it (not the live stream). */
async function apiRequestsDuring(p: Page, act: () => Promise<void>): Promise<string[]> {
  const asked: string[] = [];
  const onRequest = (r: { url(): string }) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/') && url.pathname !== '/api/live') asked.push(url.pathname + url.search);
  };
  p.on('request', onRequest);
  try {
    await act();
    await p.waitForTimeout(300);
  } finally {
    p.off('request', onRequest);
  }
  return asked;
}
const untilRows = (n: number) => until(async () => (await rows().count()) === n, `${n} rows`);
const rowIds = async () => (await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-testid')!.replace('service-row-', '')))).sort();

void test('the services list searches and filters, keeps its filters in the address, and opens a service', { skip: missingBrowser }, async () => {
  await signIn(page, `${fixture.url}/services`);
  await rows().first().waitFor({ timeout: 15_000 });
  // A screenful first, the rest in chunks just after.
  await untilRows(NODES);
  // Opened again once signed in: the page comes with the answers it shows first (the server sees the session cookie
  // and the path), so the browser asks the API for none of them.
  const askedOnLoad = apiRequestsDuring(page, async () => {
    await page.reload();
    await rows().first().waitFor({ timeout: 15_000 });
  });
  assert.deepEqual(await askedOnLoad, [], 'the session, the event catalogue, the alarm count and the list came with the page');
  assert.match((await page.getByTestId('services-summary').textContent()) ?? '', new RegExp(`^${NODES} services; history over the last 24 hours\\.$`));
  // Each row: state per location (a paused or missing location would say so), history bars, a sparkline.
  const first = page.getByTestId('service-row-node-001/HTTP');
  assert.equal(await first.locator('[data-testid^="service-state-"]').count(), 2, 'node-001 is polled from LON and RDU');
  assert.equal(await page.getByTestId('service-row-node-000/HTTP').locator('[data-testid^="service-state-"]').count(), 3, 'node-000 from SYD too');
  assert.equal(((await first.locator('svg.bars').getAttribute('viewBox')) ?? '').split(' ')[2], String(48 * 4), '24 hours in 30-minute periods');
  assert.equal(await first.locator('svg.spark polyline').count(), 1);
  await page.screenshot({ path: join(SHOTS, 'services-list.png'), fullPage: true });

  // Search: every word must match.
  await page.getByTestId('services-search').fill('node-01');
  await untilRows(10);
  assert.deepEqual(await rowIds(), Array.from({ length: 10 }, (_, i) => `node-01${i}/HTTP`));
  assert.match((await page.getByTestId('services-summary').textContent()) ?? '', /^10 of 30 services match/);
  assert.match(page.url(), /[?&]q=node-01/);

  // State: down somewhere: every seventh node is down from LON.
  await page.getByTestId('services-state').selectOption('down');
  await untilRows(1);
  assert.deepEqual(await rowIds(), ['node-014/HTTP']);
  assert.equal(await page.getByTestId('service-state-node-014/HTTP-LON').getAttribute('data-state'), 'down');
  assert.match((await page.getByTestId('services-summary').textContent()) ?? '', /^1 of 30 services matches/);
  await page.screenshot({ path: join(SHOTS, 'services-filtered.png'), fullPage: true });

  // The filters are in the address: a reload shows the same list.
  await page.reload();
  await page.getByTestId('service-row-node-014/HTTP').waitFor({ timeout: 15_000 });
  assert.equal(await rows().count(), 1);
  assert.equal(await page.getByTestId('services-search').inputValue(), 'node-01');
  assert.equal(await page.getByTestId('services-state').inputValue(), 'down');

  // Location and application filters.
  await page.getByTestId('services-clear').click();
  await page.getByTestId('services-location').selectOption('SYD');
  await untilRows(15);
  await page.getByTestId('services-app').selectOption('App 2');
  await untilRows(5);
  assert.deepEqual(await rowIds(), ['node-010/HTTP', 'node-012/HTTP', 'node-014/HTTP', 'node-016/HTTP', 'node-018/HTTP']);

  // Sorting by state puts the down ones first.
  await page.getByTestId('services-clear').click();
  await page.getByTestId('services-sort').selectOption('state');
  await until(async () => (await rows().first().getAttribute('data-state')) === 'partial', 'the worst first');
  assert.equal(await rows().first().getAttribute('data-testid'), 'service-row-node-000/HTTP');

  // The service page: one request for its data, every location on one chart, the outage shaded.
  const dataRequests: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/') && !r.url().includes('/api/live')) dataRequests.push(new URL(r.url()).pathname);
  });
  await page.getByRole('link', { name: 'node-014/HTTP' }).click();
  await page.getByTestId('service-chart').locator('canvas').first().waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('service-location-LON').getAttribute('data-state'), 'down');
  assert.equal(await page.getByTestId('service-location-RDU').getAttribute('data-state'), 'up');
  assert.equal(await page.getByTestId('service-location-SYD').getAttribute('data-state'), 'up');
  assert.match((await page.getByTestId('service-summary').textContent()) ?? '', /^down from 1 of 3 locations checking it$/);
  const legend = (await page.getByTestId('service-chart').locator('.u-legend').textContent()) ?? '';
  for (const location of ['LON', 'RDU', 'SYD']) assert.match(legend, new RegExp(location), `${location} is on the one chart`);
  assert.match((await page.getByTestId('service-chart').textContent()) ?? '', /Shaded: outages \(1\)/);
  await page.waitForTimeout(500);
  assert.deepEqual(dataRequests, ['/api/services/node-014/HTTP'], 'one request for the service page');
  await page.screenshot({ path: join(SHOTS, 'service-page.png'), fullPage: true });
});

void test('the availability page maps the locations by their coordinates, each in the colour and word of its state', { skip: missingBrowser }, async () => {
  await page.goto(`${fixture.url}/availability`);
  const map = page.getByTestId('location-map');
  await map.getByTestId('map-land').waitFor({ timeout: 15_000 });
  assert.ok(((await map.getByTestId('map-land').getAttribute('d')) ?? '').length > 10_000, 'the world outline is drawn');
  const states = Object.fromEntries(
    await Promise.all(['LON', 'RDU', 'SYD'].map(async (name) => [name, await map.getByTestId(`map-location-${name}`).getAttribute('data-state')] as const)),
  );
  assert.deepEqual(states, { LON: 'down', RDU: 'up', SYD: 'up' });
  assert.match((await map.getByTestId('map-location-LON').textContent()) ?? '', /LON · Down/);
  // London is east of Raleigh and north of Sydney on the drawing.
  const at = async (name: string) => (await map.getByTestId(`map-location-${name}`).locator('circle').boundingBox())!;
  const [lon, rdu, syd] = [await at('LON'), await at('RDU'), await at('SYD')];
  assert.ok(lon.x > rdu.x && syd.x > lon.x && syd.y > lon.y, 'placed by longitude and latitude');
  await page.screenshot({ path: join(SHOTS, 'availability-map.png'), fullPage: true });
});

/**
 * Installed in every document of the test's context: at each frame (before it is drawn), what the app shows,
 * once it has rendered (#app holds elements and not index.html's boot line); and how many frames showed that line
 * after the page's scripts had run (DOMContentLoaded), that is while the app waited for something before its first
 * render. A frame while the page is still being parsed may find #app made and its boot line not yet: that is not
 * the app, so an #app without elements does not count (a loaded machine made a test run see one).
 */
const WATCH_FRAMES = `(() => {
  const frames = (globalThis.__appFrames = []);
  globalThis.__bootFramesAfterScripts = 0;
  let scriptsRan = false;
  document.addEventListener('DOMContentLoaded', () => { scriptsRan = true; });
  const look = () => {
    const app = document.getElementById('app');
    if (app && app.querySelector('.boot') && scriptsRan) globalThis.__bootFramesAfterScripts++;
    if (app && app.firstElementChild && !app.querySelector('.boot')) {
      frames.push({
        loading: app.querySelector('.loading') !== null,
        rows: app.querySelector('[data-testid^="service-row-"]') !== null,
        chart: app.querySelector('[data-testid="service-chart"] canvas') !== null,
        // Said when an assertion fails: how far the app had got.
        seen: [document.readyState, ...['topbar', 'services-page', 'service-page', 'service-chart'].filter((id) => app.querySelector('[data-testid="' + id + '"]'))].join(' '),
      });
    }
    if (frames.length < 600) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();`;
type AppFrame = { loading: boolean; rows: boolean; chart: boolean; seen: string };
/** What a frame showed of the app, without what it says to explain a failure. */
const shown = (frame: AppFrame | undefined) => frame && { loading: frame.loading, rows: frame.rows, chart: frame.chart };

void test('a page opened with a session draws its data in its first frame; opened from another site it asks early, once, and shows a slow answer\'s spinner first', { skip: missingBrowser }, async () => {
  await withWatchedPage(async (p) => {
    const loads: { path: string; shows: 'rows' | 'chart' }[] = [
      { path: '/services', shows: 'rows' },
      { path: `/services/${encodeURIComponent('node-014/HTTP')}`, shows: 'chart' },
    ];
    for (const { path, shows } of loads) {
      // The answers come with the page, and a service page runs its chart library before the app: the app renders
      // as its script runs, and its first frame has the data, not a spinner, then the shell, then the data. Through
      // the app's own import() the library came a task later, and the browser often drew the page's "Loading" line
      // meanwhile: so over three loads, never.
      for (let i = 0; i < 3; i++) {
        await p.goto('about:blank');
        const asked = await apiRequestsDuring(p, async () => {
          await p.goto(`${fixture.url}${path}`);
          await p.locator(shows === 'rows' ? '[data-testid^="service-row-"]' : '[data-testid="service-chart"] canvas').first().waitFor({ timeout: 15_000 });
        });
        assert.deepEqual(asked, [], `${path}: every answer the page shows first came with it`);
        const frames = (await p.evaluate('globalThis.__appFrames')) as AppFrame[];
        assert.ok(frames[0]?.[shows] && !frames[0].loading, `${path}: the first frame showing the app has its ${shows === 'rows' ? 'rows' : 'chart'}: ${JSON.stringify(frames[0])}`);
        assert.equal(await p.evaluate('globalThis.__bootFramesAfterScripts'), 0, `${path}: no frame showed the "Loading" line once the scripts had run (load ${i + 1})`);
      }
    }

    // A link followed from another site: the browser sends no SameSite=Strict session cookie with the page's request,
    // so the page lists its answers and index.html's early script asks for each once while the modules load. An
    // answer slower than the first render's wait: the page shows its spinner, then the rows.
    await p.route(/\/api\/services\?window=24h$/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    });
    await p.goto('about:blank');
    const asked = await apiRequestsDuring(p, async () => {
      await p.evaluate((url) => {
        (globalThis as unknown as { location: { href: string } }).location.href = url;
      }, `${fixture.url}/services`);
      await rowsOf(p).first().waitFor({ timeout: 15_000 });
    });
    assert.ok(await p.locator('#early-requests').count(), 'the page lists its answers instead of carrying them');
    assert.deepEqual(asked.sort(), ['/api/alarms/count', '/api/events/catalogue', '/api/services?window=24h', '/api/session'], 'each asked for once');
    const frames = (await p.evaluate('globalThis.__appFrames')) as AppFrame[];
    assert.deepEqual(shown(frames[0]), { loading: true, rows: false, chart: false }, `the spinner while the list is on its way: ${JSON.stringify(frames[0])}`);
    assert.ok(frames.some((f) => f.rows), 'then the rows');
  });
});

void test('pages have addresses of their own: a link inside the UI changes page without loading one, back returns, and an address from the hash days still opens its page', { skip: missingBrowser }, async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const rows = () => rowsOf(page);
  const untilRows = (n: number) => until(async () => (await rows().count()) === n, `${n} rows`);
  await signIn(page, `${fixture.url}/services?state=down`);
  await page.getByTestId('service-row-node-014/HTTP').waitFor({ timeout: 15_000 });
  // Every seventh node is down from LON.
  await untilRows(5);
  await page.evaluate('globalThis.__samePage = true');
  await page.getByTestId('nav-alarms').click();
  await page.locator('[data-testid="alarm-row"]').first().waitFor({ timeout: 15_000 });
  assert.equal(new URL(page.url()).pathname, '/alarms');
  assert.equal(await page.evaluate('globalThis.__samePage === true'), true, 'no document was loaded');
  await page.goBack();
  await page.getByTestId('service-row-node-014/HTTP').waitFor({ timeout: 15_000 });
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/services?state=down');
  await untilRows(5);
  assert.equal(await page.getByTestId('services-state').inputValue(), 'down', 'the filter came back with the address');
  assert.equal(await page.evaluate('globalThis.__samePage === true'), true, 'still the same document');

  // A bookmark from when the pages lived in the hash.
  await page.goto(`${fixture.url}/#/services/${encodeURIComponent('node-014/HTTP')}?range=7d`);
  await page.getByTestId('service-chart').locator('canvas').first().waitFor({ timeout: 15_000 });
  const url = new URL(page.url());
  assert.equal(url.pathname + url.search + url.hash, `/services/${encodeURIComponent('node-014/HTTP')}?range=7d`);
  await context.close();
});

/**
 * Installed in every document: at the first frame that has service rows, how many there are, where the last one
 * ends, and the window's height.
 */
const WATCH_FIRST_ROWS = `(() => {
  const look = () => {
    const rows = document.querySelectorAll('[data-testid^="service-row-"]');
    if (rows.length > 0) {
      globalThis.__firstRows = { rows: rows.length, lastBottom: rows[rows.length - 1].getBoundingClientRect().bottom, windowHeight: innerHeight };
      return;
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();`;

void test('a list\'s first frame fills the window with rows and has few more, wide and on a phone; a page that comes with the session needs no stored hint', { skip: missingBrowser }, async () => {
  for (const viewport of [{ width: 1366, height: 900 }, { width: 390, height: 844 }]) {
    await withWatchedPage(async (p) => {
      await p.goto('about:blank');
      await p.goto(`${fixture.url}/services`);
      await rowsOf(p).first().waitFor({ timeout: 15_000 });
      const first = (await p.evaluate('globalThis.__firstRows')) as { rows: number; lastBottom: number; windowHeight: number };
      // 30 services are more than a window of either size shows.
      assert.ok(first.lastBottom >= first.windowHeight, `${viewport.width} px: the first frame's rows reach the window's bottom: ${JSON.stringify(first)}`);
      // Each row drawn below the window delays the first picture: a phone's cards are some 330 px high each.
      assert.ok(first.lastBottom - first.windowHeight <= first.windowHeight / 2, `${viewport.width} px: at most half a window of rows below it: ${JSON.stringify(first)}`);
      await until(async () => (await rowsOf(p).count()) === NODES, 'then every row');

      // The hint that this browser signed in is gone (storage cleared), the session cookie is not: the page comes
      // with the session, and shows the list, not the sign-in form; the hint is written again for the next page.
      if (viewport.width === 1366) {
        await p.evaluate(() => (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear());
        await p.goto('about:blank');
        await p.goto(`${fixture.url}/services`);
        await rowsOf(p).first().waitFor({ timeout: 15_000 });
        assert.equal(await p.getByLabel(/password/i).count(), 0, 'no sign-in form');
        await until(
          async () => (await p.evaluate(() => (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem('vantage.signedIn'))) === '1',
          'the hint written again',
        );
      }
    }, viewport);
  }
});

/** Installed in every document: at the first frame with the events list, its date inputs and the filters' height. */
const WATCH_EVENT_FILTERS = `(() => {
  const look = () => {
    const filters = document.querySelector('[data-testid="event-filters"]');
    if (filters && document.querySelector('[data-testid="event-row"]')) {
      globalThis.__firstFilters = {
        dateInputs: filters.querySelectorAll('input[type="datetime-local"]').length,
        placeholders: filters.querySelectorAll('.input-pending').length,
        height: filters.getBoundingClientRect().height,
      };
      return;
    }
    requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();`;

void test('the events page draws its list before making its date inputs (costly in a new tab), in a place held at their size', { skip: missingBrowser }, async () => {
  await withWatchedPage(async (p) => {
    await p.goto('about:blank');
    await p.goto(`${fixture.url}/events`);
    await p.getByTestId('filter-since').waitFor({ timeout: 15_000 });
    const first = (await p.evaluate('globalThis.__firstFilters')) as { dateInputs: number; placeholders: number; height: number };
    assert.deepEqual({ dateInputs: first.dateInputs, placeholders: first.placeholders }, { dateInputs: 0, placeholders: 2 }, 'the first frame holds their places');
    const filters = p.getByTestId('event-filters');
    assert.equal(await filters.locator('.input-pending').count(), 0, 'then the inputs replace them');
    assert.equal((await filters.boundingBox())!.height, first.height, 'and nothing below them moves');
    // They work as inputs: a time in the future leaves no event.
    await p.getByTestId('filter-since').fill('2099-01-01T00:00');
    await until(async () => (await p.getByTestId('event-row').count()) === 0, 'no event since 2099');
    assert.match(p.url(), /[?&]since=2099-01-01T00%3A00/);
  });
});

/** What the watching tests install in every document of their context. */
const WATCHES = [WATCH_FRAMES, WATCH_FIRST_ROWS, WATCH_EVENT_FILTERS];
