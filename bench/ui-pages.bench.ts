/**
 * How fast the web UI's pages show their data, in real Chromium, with a few
 * hundred services configured (and a few hours of results from three
 * locations): for each page, the time from starting the navigation to its
 * data on screen, against a baseline measured in the same run (an empty
 * page from a plain HTTP server on loopback, with the backend's security
 * headers: what a navigation costs at all). The backend runs as `npm start`
 * runs it, in a process of its own. Also how many REST requests each load
 * makes (each page should fetch its data once) and how many bytes travel.
 * CPU time too, less troubled by other work on the machine than the wall
 * clock: of the backend's process and of the browser's processes, from
 * navigation start to the data on screen. And the time
 * to go from one page to the next inside the web UI (a link followed: the
 * address changes, no document is loaded), which is how an operator moves
 * between pages once the UI is open. A second baseline, the least a page
 * of this kind does (one module that fetches the same services list and draws
 * a screenful of plain rows), says how much of a page's time is the web UI's own work.
 * And a reload of each page in the same tab, beside a reload of the empty page:
 * the browser keeps the tab's renderer process for a page of the same site,
 * where a load from another site (the loads above, from about:blank) starts
 * in a new one.
 *
 *   [COLD_RUNS=3] node --import tsx bench/ui-pages.bench.ts [services=300] [runs=7]
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page, Request, Response } from 'playwright-core';
import { SECURITY_HEADERS } from '../backend/src/http/security-headers.ts';
import { webUiContentSecurityPolicy } from '../backend/src/rest/webui-routes.ts';
import { startServicesBackend, TEST_ADMIN_PASSWORD } from '../backend/testing/index.ts';
import { launchBrowser, missingBrowser, signIn } from '../e2e/support/browser.ts';
import { freePort, REPO_ROOT, startProcess } from '../e2e/support/processes.ts';
import { treeCpuMs } from './support/footprint.ts';

const SERVICES = Number(process.argv[2] ?? 300);
/** The Node options `npm start` gives the backend, read from its script in package.json. */
const NPM_START_NODE_OPTIONS = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));
const RUNS = Number(process.argv[3] ?? 7);

if (missingBrowser) {
  console.log(`skipped: ${missingBrowser}`);
  process.exit(0);
}

// The baseline page carries the headers every answer of the backend carries (and a page policy like the web
// UI's): Chromium opens a new renderer process for a navigation to a page with Cross-Origin-Opener-Policy, so
// an empty page without them costs a navigation less than any page of ours, and the ratios would not compare.
const BASELINE_PAGE = '<!doctype html><title>empty</title><p id="ready">ready</p>';
// A second baseline: the least a page of this kind does. It loads one module, which fetches the same services list
// as the services page (kept from the backend's answer below) and draws as many of its first rows as plain table rows as the
// web UI's lists draw first (progressive.js: a row per 50 px of the window's height).
const MINIMAL_APP_PAGE = '<!doctype html><title>app</title><table id="rows"></table><script type="module" src="/app.js"></script>';
const MINIMAL_APP_MODULE = `const services = (await (await fetch('/data.json')).json()).services;
document.getElementById('rows').innerHTML = services.slice(0, Math.max(12, Math.ceil(innerHeight / 50))).map((s) =>
  '<tr data-testid="minimal-row"><th>' + s.id + '</th><td>' + s.applications.join(', ') + '</td><td>' + s.state + '</td><td>' + s.history + '</td><td>' + s.uptime + '</td></tr>').join('');`;
let servicesAnswer = '{"services":[]}';
const baseline = http.createServer((req, res) => {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader('cache-control', 'no-cache');
  const [type, body, policyOf] =
    req.url === '/app' ? ['text/html; charset=utf-8', MINIMAL_APP_PAGE, MINIMAL_APP_PAGE] : req.url === '/app.js' ? ['text/javascript', MINIMAL_APP_MODULE, null] : req.url === '/data.json' ? ['application/json', servicesAnswer, null] : ['text/html; charset=utf-8', BASELINE_PAGE, BASELINE_PAGE];
  if (policyOf) res.setHeader('content-security-policy', webUiContentSecurityPolicy(policyOf));
  res.setHeader('content-type', type);
  res.end(body);
});
await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve));
const baselineUrl = `http://127.0.0.1:${(baseline.address() as { port: number }).port}/`;
const minimalAppUrl = `${baselineUrl}app`;

const PAGES: { name: string; path: string; ready: string }[] = [
  { name: 'availability', path: '/availability', ready: '[data-testid="matrix"]' },
  { name: 'services', path: '/services', ready: '[data-testid^="service-row-"]' },
  { name: 'service', path: `/services/${encodeURIComponent('node-007/HTTP')}`, ready: '[data-testid="service-chart"] canvas' },
  { name: 'locations', path: '/locations', ready: '[data-testid^="monitor-"]' },
  { name: 'events', path: '/events', ready: '[data-testid="event-row"]' },
  { name: 'alarms', path: '/alarms', ready: '[data-testid="alarm-row"]' },
];
/** What each page the bench loads shows once it has its data: the baselines' and the web UI's. */
const READY_SELECTORS = ['#ready', '[data-testid="minimal-row"]', ...PAGES.map((p) => p.ready)];

/** How WATCH_DRAWING's console messages start. */
const DRAWN = 'vantage-drawn ';

/**
 * Installed in every document the bench opens: for each page's `ready` selector, the page's own clock
 * (performance.now(), from the start of the navigation) at the first frame after the selector first matched,
 * and a task later, when that frame has been drawn. Measured inside the browser, without the driver's round trips,
 * and told on the console (DRAWN): the driver then waits for that message and runs nothing in the page. Its own
 * scripts, injected at the first call into a new document, took 20-35 ms of the page's main thread, often before
 * the first frame of a page that renders after its load event (the empty page is drawn before it).
 */
const WATCH_DRAWING = `(() => {
  const selectors = ${JSON.stringify(READY_SELECTORS)};
  const drawn = {};
  const check = () => {
    for (const selector of selectors) {
      if (selector in drawn || !document.querySelector(selector)) continue;
      drawn[selector] = -1;
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          drawn[selector] = performance.now();
          console.debug(${JSON.stringify(DRAWN)} + JSON.stringify({ selector, at: drawn[selector] }));
        };
        channel.port2.postMessage(0);
      });
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

/**
 * The page's clock when `ready` is drawn in the document `navigate` opens (WATCH_DRAWING's message), and the driver's
 * time until it knows. Nothing is run in the page meanwhile: a locator's wait would check the element's visibility in
 * every frame (its style and layout computed mid-load), and any call into the page injects the driver's scripts.
 */
async function loadUntilDrawn(p: Page, ready: string, navigate: () => Promise<unknown>): Promise<{ ms: number; inPageMs: number }> {
  const started = performance.now();
  const message = p.waitForEvent('console', {
    predicate: (m) => m.text().startsWith(DRAWN) && (JSON.parse(m.text().slice(DRAWN.length)) as { selector: string }).selector === ready,
    timeout: 30_000,
  });
  await navigate();
  const { at } = JSON.parse((await message).text().slice(DRAWN.length)) as { at: number };
  return { ms: performance.now() - started, inPageMs: at };
}

console.log(`setting up ${SERVICES} services at three locations…`);
const fixture = await startServicesBackend(SERVICES);
// Then the backend runs as `npm start` runs it (the built file, with its Node options), in a process of its own
// on the same data: in this one it would share its event loop with the browser's driver.
await fixture.t.backend.close();
const backendPort = await freePort();
const server = startProcess(
  'backend',
  'backend/start.mjs',
  ['--port', String(backendPort), '--host', '127.0.0.1', '--config', fixture.t.configPath, '--data-dir', fixture.t.storage.dataDir, '--no-local-poller'],
  { DATABASE_URL: fixture.t.storage.databaseUrl ?? '', VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD },
  NPM_START_NODE_OPTIONS,
);
await server.waitForLine(/Vantage is running/, 60_000);
const backendUrl = `http://127.0.0.1:${backendPort}`;
const browser = await launchBrowser();
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
await context.addInitScript({ content: WATCH_DRAWING });
const page = await context.newPage();
await signIn(page, `${backendUrl}/availability`);
servicesAnswer = await page.evaluate(async () => (await fetch('/api/services?window=24h')).text());


interface Load {
  ms: number;
  /** By the page's own clock: from the start of its navigation to the first frame after its data was put on screen. */
  inPageMs: number;
  /** CPU time of the backend's process and of the browser's processes, during `ms`. */
  serverCpuMs: number;
  browserCpuMs: number;
  apiRequests: string[];
  bytes: number;
}

/** One full load of `url` (from a blank page), until `ready` is on screen; then the requests it made, settled. */
async function load(p: Page, url: string, ready: string): Promise<Load> {
  await p.goto('about:blank');
  const apiRequests: string[] = [];
  const responses: Promise<number>[] = [];
  const onRequest = (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/') && path !== '/api/live') apiRequests.push(path);
  };
  const onResponse = (r: Response) => {
    if (!r.url().endsWith('/api/live')) responses.push(r.finished().then(() => r.request().sizes().then((s) => s.responseBodySize + s.responseHeadersSize, () => 0)));
  };
  p.on('request', onRequest);
  p.on('response', onResponse);
  const treeBefore = treeCpuMs(process.pid);
  const serverBefore = treeCpuMs(server.child.pid!);
  const ownBefore = process.cpuUsage();
  const { ms, inPageMs } = await loadUntilDrawn(p, ready, () => p.goto(url));
  const own = process.cpuUsage(ownBefore);
  const serverCpuMs = treeCpuMs(server.child.pid!) - serverBefore;
  // The browser is the rest of this process's tree: not the backend, not the driving here.
  const browserCpuMs = Math.max(0, treeCpuMs(process.pid) - treeBefore - serverCpuMs - (own.user + own.system) / 1000);
  // Requests made a little after the data showed (a second fetch of the same data) count too.
  await p.waitForTimeout(700);
  p.off('request', onRequest);
  p.off('response', onResponse);
  const bytes = (await Promise.all(responses)).reduce((a, b) => a + b, 0);
  return { ms, inPageMs, serverCpuMs, browserCpuMs, apiRequests, bytes };
}

/** From the page now shown to `path` the way a link in the web UI goes there (a click on it), until `ready` is on screen. */
async function navigateInApp(p: Page, path: string, ready: string): Promise<number> {
  const started = performance.now();
  // The function runs in the page: a link to `path`, clicked (the web UI follows it without loading a document).
  await p.evaluate((to) => {
    interface Link { href: string; click(): void; remove(): void }
    const doc = (globalThis as unknown as { document: { createElement(tag: 'a'): Link; body: { append(node: Link): void } } }).document;
    const link = doc.createElement('a');
    link.href = to;
    doc.body.append(link);
    link.click();
    link.remove();
  }, path);
  await p.locator(ready).first().waitFor({ timeout: 30_000 });
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The baseline, interleaved with the pages so both see the same machine.
const baseLoads: Load[] = [];
const results = new Map<string, Load[]>();
// Each page once first, unmeasured: the backend has just started, and its first answers of each kind (code not yet
// optimised, the database's caches empty) are not what a page costs.
for (const target of PAGES) await load(page, `${backendUrl}${target.path}`, target.ready);
/** One load in a fresh browser context with the session cookie, nothing cached. */
async function coldLoad(url: string, ready: string): Promise<Load> {
  const fresh = await browser.newContext({ viewport: { width: 1366, height: 900 }, storageState: await context.storageState() });
  await fresh.addInitScript({ content: WATCH_DRAWING });
  try {
    return await load(await fresh.newPage(), url, ready);
  } finally {
    await fresh.close();
  }
}
/** Cold loads of each page (each a fresh context): a first visit varies more than a warm one, so the median of these (COLD_RUNS, 3). */
const COLD_RUNS = Number(process.env.COLD_RUNS ?? 3);
const coldBaseLoads: Load[] = [];
const coldMinimalLoads: Load[] = [];
const coldLoads = new Map<string, Load[]>();
for (let run = 0; run < COLD_RUNS; run++) {
  for (const target of PAGES) {
    coldBaseLoads.push(await coldLoad(baselineUrl, '#ready'));
    if (target === PAGES[0]) coldMinimalLoads.push(await coldLoad(minimalAppUrl, '[data-testid="minimal-row"]'));
    coldLoads.set(target.name, [...(coldLoads.get(target.name) ?? []), await coldLoad(`${backendUrl}${target.path}`, target.ready)]);
  }
}
const minimalLoads: Load[] = [];
for (let run = 0; run < RUNS; run++) {
  baseLoads.push(await load(page, baselineUrl, '#ready'));
  minimalLoads.push(await load(page, minimalAppUrl, '[data-testid="minimal-row"]'));
  for (const target of PAGES) {
    const list = results.get(target.name) ?? [];
    list.push(await load(page, `${backendUrl}${target.path}`, target.ready));
    results.set(target.name, list);
  }
}

// Inside the web UI: each page reached from the one before it in the list, as the navigation links go.
const inApp = new Map<string, number[]>();
await page.goto(`${backendUrl}${PAGES[PAGES.length - 1]!.path}`);
await page.locator(PAGES[PAGES.length - 1]!.ready).first().waitFor({ timeout: 30_000 });
for (let run = 0; run < RUNS; run++) {
  for (const target of PAGES) inApp.set(target.name, [...(inApp.get(target.name) ?? []), await navigateInApp(page, target.path, target.ready)]);
}

// A reload (the same tab, F5): unlike a load from another site, the browser keeps the tab's renderer process (and what
// it has warmed up: compiled code, the locale data of dates and numbers) for a page of the same site.
/** A reload of the page shown, until `ready` is on screen: by the driver, and by the page's own clock. */
async function reload(p: Page, ready: string): Promise<{ ms: number; inPageMs: number }> {
  return loadUntilDrawn(p, ready, () => p.reload());
}
const reloads = new Map<string, { ms: number; inPageMs: number }[]>();
const baseReloads: { ms: number; inPageMs: number }[] = [];
for (const target of [{ name: 'baseline', url: baselineUrl, ready: '#ready' }, ...PAGES.map((t) => ({ name: t.name, url: `${backendUrl}${t.path}`, ready: t.ready }))]) {
  await page.goto('about:blank');
  await page.goto(target.url);
  await page.locator(target.ready).first().waitFor({ timeout: 30_000 });
  for (let run = 0; run < RUNS; run++) {
    const r = await reload(page, target.ready);
    if (target.name === 'baseline') baseReloads.push(r);
    else reloads.set(target.name, [...(reloads.get(target.name) ?? []), r]);
  }
}

const base = median(baseLoads.map((l) => l.ms));
const coldBase = median(coldBaseLoads.map((l) => l.ms));
const baseServerCpu = median(baseLoads.map((l) => l.serverCpuMs));
const baseBrowserCpu = median(baseLoads.map((l) => l.browserCpuMs));
console.log(`\nui-pages: ${SERVICES} services, ${RUNS} runs each, 1366×900, Chromium headless`);
console.log(`baseline (empty page from a plain HTTP server, with the backend's headers): median ${base.toFixed(0)} ms; CPU ms: backend process ${baseServerCpu.toFixed(0)}, browser ${baseBrowserCpu.toFixed(0)}`);
console.log(`cold baseline (the same page in a fresh browser context, as the cold loads are): median ${coldBase.toFixed(0)} ms`);
const basePage = median(baseLoads.map((l) => l.inPageMs));
const coldBasePage = median(coldBaseLoads.map((l) => l.inPageMs));
console.log(`by the page's own clock (navigation start to the first frame drawn with the data, no driver round trips): baseline ${basePage.toFixed(0)} ms, cold baseline ${coldBasePage.toFixed(0)} ms`);
console.log(
  `minimal app (one module fetching the same services list from the baseline's server, a screenful of its first rows drawn as plain rows): ` +
    `warm ${median(minimalLoads.map((l) => l.ms)).toFixed(0)} ms, by its own clock ${median(minimalLoads.map((l) => l.inPageMs)).toFixed(0)} ms (${(median(minimalLoads.map((l) => l.inPageMs)) / basePage).toFixed(2)}× the empty page's); ` +
    `cold ${median(coldMinimalLoads.map((l) => l.ms)).toFixed(0)} ms, by its own clock ${median(coldMinimalLoads.map((l) => l.inPageMs)).toFixed(0)} ms\n`,
);
const baseReloadPage = median(baseReloads.map((r) => r.inPageMs));
console.log(`reload (the same tab): the empty page ${median(baseReloads.map((r) => r.ms)).toFixed(0)} ms by the driver, ${baseReloadPage.toFixed(0)} ms by its own clock`);
for (const target of PAGES) {
  const list = reloads.get(target.name)!;
  const inPage = median(list.map((r) => r.inPageMs));
  console.log(`  reload ${target.name.padEnd(13)} ${median(list.map((r) => r.ms)).toFixed(0).padStart(5)} ms by the driver, ${inPage.toFixed(0).padStart(5)} ms by its own clock (${(inPage / baseReloadPage).toFixed(1)}× the empty page's)`);
}
console.log('');
console.log('page          in page: cold  warm ms  ×baseline   cold median ms  ×cold baseline  cold KB   warm median ms  ×baseline  in-app ms  ×baseline  CPU ms: server  browser  ×baseline  warm KB  REST requests per load');
for (const target of PAGES) {
  const loads = results.get(target.name)!;
  const warm = median(loads.map((l) => l.ms));
  const serverCpu = median(loads.map((l) => l.serverCpuMs));
  const browserCpu = median(loads.map((l) => l.browserCpuMs));
  const cpuRatio = (serverCpu + browserCpu) / Math.max(1, baseServerCpu + baseBrowserCpu);
  const coldRuns = coldLoads.get(target.name)!;
  const c = { ms: median(coldRuns.map((l) => l.ms)), bytes: median(coldRuns.map((l) => l.bytes)) };
  const requests = loads[loads.length - 1]!.apiRequests;
  const repeated = requests.filter((r, i) => requests.indexOf(r) !== i);
  console.log(
    `${target.name.padEnd(13)} ${median(coldRuns.map((l) => l.inPageMs)).toFixed(0).padStart(13)}  ${median(loads.map((l) => l.inPageMs)).toFixed(0).padStart(7)}  ${(median(loads.map((l) => l.inPageMs)) / basePage).toFixed(1).padStart(9)}   ${c.ms.toFixed(0).padStart(14)}  ${(c.ms / coldBase).toFixed(1).padStart(14)}  ${(c.bytes / 1024).toFixed(0).padStart(7)}   ${warm.toFixed(0).padStart(14)}  ${(warm / base).toFixed(1).padStart(9)}  ${median(inApp.get(target.name)!).toFixed(0).padStart(9)}  ${(median(inApp.get(target.name)!) / base).toFixed(2).padStart(9)}  ${serverCpu.toFixed(0).padStart(14)}  ${browserCpu.toFixed(0).padStart(7)}  ${cpuRatio.toFixed(1).padStart(9)}  ${(median(loads.map((l) => l.bytes)) / 1024).toFixed(0).padStart(7)}  ${requests.length} (${[...new Set(requests)].join(', ')})${repeated.length ? `  REPEATED: ${repeated.join(', ')}` : ''}`,
  );
}

await browser.close();
await server.stop('SIGTERM');
await fixture.t.storage.cleanup();
baseline.close();
