/**
 * What `mode="distribute"` costs with a large location: 100,000 services
 * (a range of 33,334 addresses × 3 services) split among 10 monitors.
 * Prints the split itself (hashing, balance, what moves when one joins),
 * the first package fetch of each monitor (its share and version), check-in
 * round trips (each reads the members and looks the split up), the read of
 * the members that each reportResults of a distributed location adds, and a
 * rebalance: one monitor paused while every monitor holds the state of its
 * 10,000 services, so 10,000 states are handed off.
 *
 *   node --import tsx bench/distribute.bench.ts [addresses] [monitors]
 *   (VANTAGE_BENCH_PG_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { startBackend } from '@vantage/backend';
import { createTestStorage } from '@vantage/backend/testing';
import { LocationShares } from '../backend/src/packages/distribute.ts';
import { locationMembers } from '../backend/src/packages/membership.ts';
import { largeConfigXml } from './large-config.ts';

const addresses = Number(process.argv[2] ?? 33_334);
const monitorCount = Number(process.argv[3] ?? 10);

process.env.VANTAGE_TEST_PG_URL ??= process.env.VANTAGE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const storage = await createTestStorage();
const configPath = join(storage.dataDir, 'bench-config.xml');
await writeFile(configPath, largeConfigXml(addresses).replace('<location name="DC"', '<location name="DC" mode="distribute"'));
const backend = await startBackend({
  configPath,
  port: 0,
  host: '127.0.0.1',
  dataDir: storage.dataDir,
  databaseUrl: storage.databaseUrl,
  log: createLogger('bench-backend', 'warn'),
  watchConfig: false,
  registrationLimits: { perMinutePerAddress: 1_000, burstPerAddress: 1_000 },
});
const pkg = backend.configs.packageFor('DC')!;
const services = pkg.package.services.length;
console.log(`backend on ${backend.db.description}; location DC: ${services} services, ${monitorCount} monitors`);

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`;
};

// ---- the split alone ----
{
  const ids = Array.from({ length: monitorCount + 1 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const shares = new LocationShares(pkg.package, pkg.version);
  let t0 = performance.now();
  const split = shares.splitFor(ids.slice(0, monitorCount));
  const coldMs = performance.now() - t0;
  t0 = performance.now();
  const joined = shares.splitFor(ids);
  const warmMs = performance.now() - t0;
  t0 = performance.now();
  for (const id of ids.slice(0, monitorCount)) split.shareOf(id);
  const sharesMs = performance.now() - t0;
  const sizes = Object.values(split.shareSizes());
  const fair = services / monitorCount;
  let moved = 0;
  let elsewhere = 0;
  t0 = performance.now();
  for (const s of pkg.package.services) {
    const to = joined.holderOf(s.serviceId);
    if (split.holderOf(s.serviceId) === to) continue;
    moved++;
    if (to !== ids[monitorCount]) elsewhere++;
  }
  const lookupNs = ((performance.now() - t0) * 1e6) / (2 * services);
  console.log(`split among ${monitorCount}: ${coldMs.toFixed(1)} ms the first time (hashing the service ids), ${warmMs.toFixed(1)} ms for another membership`);
  console.log(`  shares: ${Math.min(...sizes)}…${Math.max(...sizes)} services (fair ${fair.toFixed(0)}; worst ${((Math.max(...sizes.map((s) => Math.abs(s - fair))) / fair) * 100).toFixed(2)}% off)`);
  console.log(`  packages and versions of all ${monitorCount} shares: ${sharesMs.toFixed(1)} ms`);
  console.log(`  one more monitor: ${moved} services move (${((moved / services) * 100).toFixed(2)}%, fair ${(100 / (monitorCount + 1)).toFixed(2)}%), ${elsewhere} of them elsewhere than to it`);
  console.log(`  holder of a service (per result in ingest): ${lookupNs.toFixed(0)} ns`);
}

// ---- over the protocol ----
const rpcUrl = `http://127.0.0.1:${backend.port}/rpc`;
let id = 1;
async function call(method: string, params: unknown, credentials?: MonitorCredentials): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(credentials ? { authorization: formatAuthorization(credentials) } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

const monitors: (MonitorCredentials & { version: string })[] = [];
for (let i = 0; i < monitorCount; i++) {
  const creds = (await call('registerLocationMonitor', { location: 'DC', name: `dc-${i}`, token: 'dc-token-1234' })) as MonitorCredentials;
  await call('pollerStarting', {}, creds);
  monitors.push({ ...creds, version: '' });
}
const fetchMs: number[] = [];
for (const m of monitors) {
  const t0 = performance.now();
  const answer = (await call('getPollingPackage', {}, m)) as { version: string };
  fetchMs.push(performance.now() - t0);
  m.version = answer.version;
}
console.log(`first getPollingPackage of each monitor (its share, ~${Math.round(services / monitorCount)} services): ${stats(fetchMs)}`);

const checkInMs: number[] = [];
for (let round = 0; round < 30; round++) {
  for (const m of monitors) {
    const t0 = performance.now();
    const answer = (await call('pollerCheckingIn', { configVersion: m.version }, m)) as { status: string };
    checkInMs.push(performance.now() - t0);
    if (answer.status !== 'STARTED') throw new Error(`check-in answered ${answer.status}`);
  }
}
console.log(`pollerCheckingIn round trip (members read, split looked up): ${stats(checkInMs)}`);

const membersMs: number[] = [];
for (let i = 0; i < 500; i++) {
  const t0 = performance.now();
  await locationMembers(backend.db.manager, 'DC');
  membersMs.push(performance.now() - t0);
}
console.log(`reading the members (added to each reportResults of a distributed location): ${stats(membersMs)}`);

// Every monitor holds the state of each service of its share, as after a while of polling.
const split = pkg.shares!.splitFor(monitors.map((m) => m.monitorId));
const now = Date.now();
for (const m of monitors) {
  const ids = split.shareOf(m.monitorId).package.services.map((s) => s.serviceId);
  for (let i = 0; i < ids.length; i += 5_000) {
    await backend.db.manager.query(
      `INSERT INTO service_state (monitor_id, service_id, status, event_status, changed_at, reason, last_result_at)
       SELECT $1, id, 'UP', 'UP', $3, NULL, $3 FROM unnest($2::text[]) AS id`,
      [m.monitorId, ids.slice(i, i + 5_000), now],
    );
  }
}
const paused = monitors[0]!;
const handedOff = split.sizeOf(paused.monitorId);
let t0 = performance.now();
await backend.monitors.administer(paused.monitorId, 'pause');
const pauseMs = performance.now() - t0;
console.log(`pausing one monitor, its ${handedOff} service states handed off (rebalance included): ${pauseMs.toFixed(0)} ms`);
t0 = performance.now();
await backend.monitors.administer(paused.monitorId, 'resume');
console.log(`resuming it (nothing held elsewhere yet to hand back): ${(performance.now() - t0).toFixed(0)} ms`);

await backend.close();
await storage.cleanup();
