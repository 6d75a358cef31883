/**
 * A location in distribute mode with real processes: two pollers at one
 * location each poll about half of its services (every service polled by
 * exactly one of them, none by both); one stops (SIGTERM) and the other
 * takes over every service; it comes back and the same split returns.
 *
 * Each service is its own path on a counting HTTP target, so the target
 * shows that every service was really checked in each phase; the results
 * the backend stored (each names its monitor) show by whom.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Database } from '@vantage/backend';
import { adminFetch, createTestStorage, PollResultEntity, type TestStorage } from '@vantage/backend/testing';
import { startBackend, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, startProcess, type RunningProcess } from './support/processes.ts';

const SERVICES = 24;
const INTERVAL_MS = 500;
const CHECK_IN_MS = 1000;
/** A check's timeout: results of checks begun under an older share end within it (the target answers at once). */
const CHECK_TIMEOUT_MS = 1000;
/** Checks of each service a phase waits for at the target. */
const CHECKS_PER_PHASE = 3;
const TOKEN = 'distribute-token-1';
const serviceId = (i: number) => `s${i}/HTTP`;
const ALL = Array.from({ length: SERVICES }, (_, i) => serviceId(i)).sort();

/** One package per service, so that each has its own path at the target: /s0, /s1, … */
function config(targetPort: number): string {
  const packages = Array.from(
    { length: SERVICES },
    (_, i) => `  <package name="p${i}">
    <specific node-label="s${i}">127.0.0.1</specific>
    <service name="HTTP" interval="${INTERVAL_MS}"><parameter key="port" value="${targetPort}"/><parameter key="url" value="/s${i}"/></service>
  </package>`,
  ).join('\n');
  return `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="${CHECK_IN_MS}" disconnect-timeout="5000" default-timeout="${CHECK_TIMEOUT_MS}"/>
${packages}
  <monitor service="HTTP" type="http"/>
  <location name="DIST" mode="distribute" registration-token="${TOKEN}">
${Array.from({ length: SERVICES }, (_, i) => `    <polling-package name="p${i}"/>`).join('\n')}
  </location>
</poller-configuration>`;
}

let storage: TestStorage;
let target: HttpTarget;
let port: number;
const processes: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  target = new HttpTarget(await freePort());
  await target.start();
  port = await freePort();
});

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await target.stop();
  await storage.cleanup();
});

function poller(name: string): RunningProcess {
  const p = startProcess(name, 'frontend-poller/bin/vantage-poller.js', [
    ...['--server', `ws://127.0.0.1:${port}/rpc`, '--location', 'DIST', '--name', name, '--token', TOKEN],
    ...['--state-dir', join(storage.dataDir, name), '--reconnect-max-ms', '1000'],
  ]);
  processes.push(p);
  return p;
}

interface MonitorView {
  id: string;
  name: string;
  status: string;
}

async function monitorsByName(): Promise<Map<string, MonitorView>> {
  const response = await adminFetch(`http://127.0.0.1:${port}/api/monitors?location=DIST`);
  return new Map(((await response.json()) as MonitorView[]).map((m) => [m.name, m]));
}

/** The services a monitor holds now, by the backend. */
async function shareOf(monitorId: string): Promise<string[]> {
  const response = await adminFetch(`http://127.0.0.1:${port}/api/monitors/${monitorId}/services`);
  return ((await response.json()) as { serviceId: string }[]).map((s) => s.serviceId).sort();
}

/** How many services a poller says it polls, by its last "polling N services" line. */
function polling(p: RunningProcess): number | undefined {
  const line = p.output.findLast((l) => /polling \d+ services? of package/.test(l));
  return line === undefined ? undefined : Number(/polling (\d+) service/.exec(line)![1]);
}

/** Waits until the pollers poll exactly what the backend's split gives them; returns each one's share. */
async function settled(pollers: Record<string, RunningProcess>): Promise<Record<string, string[]>> {
  return eventually(
    `the pollers polling their shares (${Object.keys(pollers).join(', ')})`,
    async () => {
      const monitors = await monitorsByName();
      const shares: Record<string, string[]> = {};
      for (const [name, p] of Object.entries(pollers)) {
        const m = monitors.get(name);
        if (m?.status !== 'STARTED') return false;
        shares[name] = await shareOf(m.id);
        if (polling(p) !== shares[name].length) return false;
      }
      const union = Object.values(shares).flat().sort();
      return union.length === SERVICES && union.join() === ALL.join() && shares;
    },
    30_000,
  );
}

/**
 * A phase: from a moment after the split settled (checks begun under the
 * previous one have ended) until every service was checked
 * CHECKS_PER_PHASE more times at the target.
 */
async function phase(): Promise<{ fromMs: number; toMs: number; checks: Map<string, number> }> {
  await new Promise((resolve) => setTimeout(resolve, CHECK_TIMEOUT_MS + 500));
  const fromMs = Date.now();
  const before = new Map(target.requestsByPath);
  const checks = () => new Map(ALL.map((id) => [id, (target.requestsByPath.get(`/${id.split('/')[0]}`) ?? 0) - (before.get(`/${id.split('/')[0]}`) ?? 0)]));
  await eventually('every service checked at the target', async () => [...checks().values()].every((n) => n >= CHECKS_PER_PHASE), 30_000);
  return { fromMs, toMs: Date.now(), checks: checks() };
}

/** Every stored result, read from the database once the backend has stopped (the embedded one has a single owner). */
async function storedResults(): Promise<{ monitorId: string; serviceId: string; timestamp: number }[]> {
  const db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
  try {
    return await db.manager.find(PollResultEntity, { select: { monitorId: true, serviceId: true, timestamp: true } });
  } finally {
    await db.close();
  }
}

/** Per service, the monitors whose results fall in the phase. */
function pollersOf(results: Awaited<ReturnType<typeof storedResults>>, window: { fromMs: number; toMs: number }): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const r of results) {
    if (r.timestamp < window.fromMs || r.timestamp >= window.toMs) continue;
    by.set(r.serviceId, (by.get(r.serviceId) ?? new Set()).add(r.monitorId));
  }
  return by;
}

void test('two pollers split a distribute location; one stops and the other takes over everything; it comes back and the split returns', async (t) => {
  const configPath = await writeConfig(storage, config(target.port));
  for (const name of ['dist-1', 'dist-2']) await mkdir(join(storage.dataDir, name), { recursive: true });
  const backend = await startBackend(storage, configPath, port);
  processes.push(backend);

  // Both started: each polls its share, together everything.
  const one = poller('dist-1');
  let two = poller('dist-2');
  const split = await settled({ 'dist-1': one, 'dist-2': two });
  t.diagnostic(`split: dist-1 polls ${split['dist-1']!.length}, dist-2 polls ${split['dist-2']!.length} of ${SERVICES}`);
  assert.ok(split['dist-1']!.length > 0 && split['dist-2']!.length > 0, 'each polls some');
  const ids = await monitorsByName();
  const id1 = ids.get('dist-1')!.id;
  const id2 = ids.get('dist-2')!.id;
  const shared = await phase();

  // dist-2 stops cleanly: dist-1 takes over every service.
  const seen = one.output.length;
  const stoppedAt = Date.now();
  assert.equal(await two.stop('SIGTERM'), 0);
  await one.waitForLine(new RegExp(`configuration changed: polling ${SERVICES} services`), 15_000, seen);
  const takeoverMs = Date.now() - stoppedAt;
  t.diagnostic(`dist-1 polled all ${SERVICES} services ${takeoverMs} ms after dist-2 exited (check-in interval ${CHECK_IN_MS} ms)`);
  assert.deepEqual(await shareOf(id1), ALL);
  const alone = await phase();

  // dist-2 comes back, with the same identity: the same split as before.
  two = poller('dist-2');
  const again = await settled({ 'dist-1': one, 'dist-2': two });
  assert.equal((await monitorsByName()).get('dist-2')!.id, id2, 'the same monitor');
  assert.deepEqual(again, split, 'the same split as before');
  const back = await phase();

  for (const p of [one, two]) assert.equal(await p.stop('SIGTERM'), 0);
  await backend.stop('SIGTERM');
  const results = await storedResults();

  const check = (name: string, window: typeof shared, expected: (service: string) => string) => {
    for (const [service, count] of window.checks) assert.ok(count >= CHECKS_PER_PHASE, `${name}: ${service} checked ${count} times at the target`);
    const by = pollersOf(results, window);
    for (const service of ALL) {
      const monitors = [...(by.get(service) ?? [])];
      assert.deepEqual(monitors, [expected(service)], `${name}: ${service} polled by ${monitors.length === 0 ? 'nobody' : monitors.join(' and ')}`);
    }
  };
  const holder = (service: string) => (split['dist-1']!.includes(service) ? id1 : id2);
  check('both started', shared, holder);
  check('dist-2 stopped', alone, () => id1);
  check('dist-2 back', back, holder);
});
