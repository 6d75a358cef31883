/**
 * Result ingest on PostgreSQL: pollers (WebSocket connections) report batches
 * of results as fast as the backend takes them, 1% of them status changes,
 * through ingest → service state → outages → events → alarms. Prints
 * results per second and the p50/p99 time of a reportResults call (the
 * events of a batch are committed before its call returns, so this is the
 * time from reportResults to the stored event). Target on 2 cores: at least
 * 5,000 results/s, p99 under 200 ms.
 *
 * Two phases: flat out (throughput), then paced at the target rate (latency at
 * that load, which is what a deployment sees).
 *
 *   node --import tsx bench/ingest.bench.ts [seconds] [monitors] [batchSize] [rate]
 *   (VANTAGE_BENCH_PG_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseResult, type MonitorCredentials } from '@vantage/common';
import { openWsTransport, type Transport } from '@vantage/frontend-poller';
import { createLogger } from '@vantage/runtime';
import { ResponseTimeRollup } from '../backend/src/series/rollup.ts';
import { startBackend } from '@vantage/backend';
import { createTestStorage } from '@vantage/backend/testing';

const seconds = Number(process.argv[2] ?? 15);
const monitorCount = Number(process.argv[3] ?? 8);
const batchSize = Number(process.argv[4] ?? 250);
/** The rate at which latency is measured; throughput is measured flat out first. */
const targetRate = Number(process.argv[5] ?? 5_000);
const SERVICES = 1000;
const CHANGE_SHARE = 0.01;

process.env.VANTAGE_TEST_PG_URL ??= process.env.VANTAGE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const storage = await createTestStorage();
const configPath = join(storage.dataDir, 'bench-config.xml');
await writeFile(
  configPath,
  `<poller-configuration>
  <package name="bench">
    <include-range begin="10.0.0.1" end="10.0.3.232"/>
    <service name="TCP" interval="300000"><parameter key="port" value="80"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="BENCH" registration-token="bench-token-1"><polling-package name="bench"/></location>
  <application name="Bench"><service package="bench" node="10.0.0.1" name="TCP"/><service package="bench" node="10.0.0.2" name="TCP"/></application>
</poller-configuration>`,
);
const backend = await startBackend({
  configPath,
  port: 0,
  host: '127.0.0.1',
  dataDir: storage.dataDir,
  databaseUrl: storage.databaseUrl,
  log: createLogger('bench-backend', 'warn'),
  watchConfig: false,
});
const url = `ws://127.0.0.1:${backend.port}/rpc`;
console.log(`backend on ${backend.db.description}; ${monitorCount} monitors × ${SERVICES} services, batches of ${batchSize}, ${seconds} s`);

interface Poller {
  transport: Transport;
  seq: number;
  down: Set<number>;
}
const pollers: Poller[] = [];
for (let i = 0; i < monitorCount; i++) {
  const anonymous = await openWsTransport({ url });
  const creds = parseResult('registerLocationMonitor', await anonymous.call('registerLocationMonitor', { location: 'BENCH', name: `bench-${i}`, token: 'bench-token-1' })) as MonitorCredentials;
  await anonymous.close();
  const transport = await openWsTransport({ url, credentials: creds, callTimeoutMs: 60_000 });
  await transport.call('pollerStarting', {});
  pollers.push({ transport, seq: 0, down: new Set() });
}

const serviceId = (n: number) => `10.0.${(n + 1) >> 8}.${(n + 1) & 255}/TCP`;
let changes = 0;

function nextBatch(poller: Poller & { next: number }) {
  const batch = [];
  for (let i = 0; i < batchSize; i++) {
    const n = poller.next++ % SERVICES;
    // 1% of results flip the service's status: a lost or regained service, an outage, an alarm.
    if (Math.random() < CHANGE_SHARE) {
      if (poller.down.has(n)) poller.down.delete(n);
      else poller.down.add(n);
      changes++;
    }
    const down = poller.down.has(n);
    batch.push({ seq: ++poller.seq, serviceId: serviceId(n), timestamp: Date.now(), status: down ? 'DOWN' : 'UP', responseTimeMs: down ? undefined : 1 + Math.random() * 20, reason: down ? 'connection refused' : undefined });
  }
  return batch;
}

/** Runs every poller for `durationS`; with a rate, each waits for its turn so the total is that rate. */
async function phase(name: string, durationS: number, ratePerSecond?: number) {
  const latenciesMs: number[] = [];
  let results = 0;
  const started = performance.now();
  const deadline = Date.now() + durationS * 1000;
  let lastProgress = Date.now();
  const callsPerSecondEach = ratePerSecond ? ratePerSecond / batchSize / monitorCount : 0;
  await Promise.all(
    (pollers as (Poller & { next: number })[]).map(async (poller, index) => {
      poller.next ??= 0;
      let due = performance.now() + (callsPerSecondEach ? (index / monitorCount) * (1000 / callsPerSecondEach) : 0);
      while (Date.now() < deadline) {
        if (callsPerSecondEach) {
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          due += 1000 / callsPerSecondEach;
        }
        const batch = nextBatch(poller);
        const t0 = performance.now();
        await poller.transport.call('reportResults', { results: batch });
        latenciesMs.push(performance.now() - t0);
        results += batch.length;
        if (Date.now() - lastProgress > 5_000) {
          lastProgress = Date.now();
          process.stderr.write(`  ${name}: ${results} results so far (${Math.round(results / ((performance.now() - started) / 1000))}/s)\n`);
        }
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  const pct = (p: number) => latenciesMs[Math.min(latenciesMs.length - 1, Math.floor((p / 100) * latenciesMs.length))]!.toFixed(0);
  return { results, rate: Math.round(results / elapsedS), p50: pct(50), p99: pct(99), calls: latenciesMs.length, elapsedS };
}

const flat = await phase('flat out', seconds);
console.log(`throughput, flat out: ${flat.results} results in ${flat.elapsedS.toFixed(1)} s = ${flat.rate} results/s (target ≥ 5000); round trip p50 ${flat.p50} ms, p99 ${flat.p99} ms (queueing included)`);
const paced = await phase('paced', seconds, targetRate);
console.log(`latency at ${targetRate} results/s: achieved ${paced.rate}/s; reportResults round trip (results, events, alarms committed) p50 ${paced.p50} ms, p99 ${paced.p99} ms (target p99 < 200 ms), ${paced.calls} calls`);
const [counts] = (await backend.db.manager.query(
  `SELECT (SELECT count(*) FROM poll_result)::int AS results, (SELECT count(*) FROM event WHERE uei LIKE '%Service')::int AS events,
          (SELECT count(*) FROM alarm)::int AS alarms, (SELECT count(*) FROM outage)::int AS outages`,
)) as { results: number; events: number; alarms: number; outages: number }[];
console.log(`stored: ${counts?.results} results, ${changes} status changes → ${counts?.events} lost/regained events, ${counts?.alarms} alarms, ${counts?.outages} outages`);

// The series tier: roll the raw results up as the periodic task does, and time it.
const rollupStarted = performance.now();
const rolled = await new ResponseTimeRollup(backend.db, { graceMs: 0 }).runOnce(Date.now() + 10 * 60_000);
console.log(`series: rolled ${counts?.results} raw results into 5-minute and 1-hour tiers in ${(performance.now() - rollupStarted).toFixed(0)} ms (${rolled.chunks} chunks)`);

for (const poller of pollers) await poller.transport.close();
await backend.close();
await storage.cleanup();
