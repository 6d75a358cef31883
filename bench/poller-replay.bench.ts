/**
 * Replay speed: a poller of 1,000 services at 60 s comes back after an hour
 * away with 60,000 results on disk; how fast do they reach a real backend
 * (results/s), and do its check-ins stay fresh meanwhile? The backend runs on
 * the embedded database, or on PostgreSQL with DATABASE_URL.
 *
 * Baseline, on the same backend in the same run (before and after the
 * poller, at a location of its own with as many services): a bare client
 * sending the same results straight from memory in calls of the poller's
 * size (1,000), each after the last was answered: what the backend's ingest
 * takes at all. The poller's replay is given as a ratio to it.
 *
 *   node --import tsx bench/poller-replay.bench.ts [services] [minutes]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MonitorCredentials } from '@vantage/common';
import { openWsTransport, Poller, ResultSpool } from '@vantage/frontend-poller';
import { createLogger } from '@vantage/runtime';
import { BENCH_TOKEN, benchLocation, startBenchBackend, startHttpTarget } from './support/bench-backend.ts';

const services = Number(process.argv[2] ?? 1_000);
const minutes = Number(process.argv[3] ?? 60);
const backlog = services * minutes;

const target = await startHttpTarget();
// The services poll every hour, so that what is measured is the replay, not new checks.
const backend = await startBenchBackend(
  benchLocation('REPLAY', services, 3_600_000, target.port) + benchLocation('FLOOR', services, 3_600_000, target.port),
  'spool-max-age="7200000"',
);
/** Results per reportResults call, as the poller sends a backlog. */
const CALL_SIZE = 1_000;

/** The baseline: monitor `name` at FLOOR sends the backlog from memory, call after call; its seconds. */
async function bareReplay(name: string, startMs: number): Promise<number> {
  const url = `ws://127.0.0.1:${backend.port}/rpc`;
  const anonymous = await openWsTransport({ url });
  const credentials = (await anonymous.call('registerLocationMonitor', { location: 'FLOOR', name, token: BENCH_TOKEN })) as MonitorCredentials;
  await anonymous.close();
  const transport = await openWsTransport({ url, credentials, callTimeoutMs: 120_000 });
  await transport.call('pollerStarting', {});
  await transport.call('getPollingPackage', {});
  const results = [];
  for (let minute = 0; minute < minutes; minute++) {
    for (let i = 0; i < services; i++) {
      results.push({ seq: results.length + 1, serviceId: `floor-n${i}/HTTP`, timestamp: startMs + minute * 60_000 + i, status: 'UP' as const, responseTimeMs: 1.25 });
    }
  }
  const started = performance.now();
  for (let from = 0; from < results.length; from += CALL_SIZE) await transport.call('reportResults', { results: results.slice(from, from + CALL_SIZE) });
  const seconds = (performance.now() - started) / 1000;
  await transport.close();
  return seconds;
}

const stateDir = mkdtempSync(join(tmpdir(), 'vantage-bench-replay-'));
try {
  // An hour of results, as the poller would have spooled them while away.
  const quiet = createLogger('bench', 'error', () => undefined);
  const spool = new ResultSpool({ dir: join(stateDir, 'spool'), maxAgeMs: 7_200_000, maxBytes: 1024 ** 3, fsync: false, log: quiet });
  const startMs = Date.now() - minutes * 60_000;
  const floorBefore = await bareReplay('floor-1', startMs);
  for (let minute = 0; minute < minutes; minute++) {
    for (let i = 0; i < services; i++) {
      spool.add(`replay-n${i}/HTTP`, startMs + minute * 60_000 + i, { status: 'UP', responseTimeMs: 1.25 });
    }
  }
  await spool.close();
  console.log(`spooled ${backlog.toLocaleString('en-US')} results (${minutes} min of ${services} services at 60 s)`);

  const poller = new Poller({
    servers: [`ws://127.0.0.1:${backend.port}/rpc`],
    location: 'REPLAY',
    name: 'replay-1',
    token: BENCH_TOKEN,
    stateDir,
    connect: async (url, credentials) => openWsTransport({ url, credentials }),
    log: quiet,
  });
  const started = performance.now();
  void poller.start();
  let worstCheckInAgeMs = 0;
  let stored = 0;
  while (stored < backlog) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [monitor] = await backend.get<{ lastSeq: number; lastCheckInAt: number | null }[]>('/api/monitors?location=REPLAY');
    stored = monitor?.lastSeq ?? 0;
    if (monitor?.lastCheckInAt) worstCheckInAgeMs = Math.max(worstCheckInAgeMs, Date.now() - monitor.lastCheckInAt);
  }
  const seconds = (performance.now() - started) / 1000;
  await poller.stop();
  const floorAfter = await bareReplay('floor-2', startMs);
  const floor = (floorBefore + floorAfter) / 2;
  const rate = (s: number) => `${Math.round(backlog / s).toLocaleString('en-US')} results/s`;
  console.log(
    `replayed ${backlog.toLocaleString('en-US')} results in ${seconds.toFixed(1)} s: ${rate(seconds)} ` +
      `(${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}); worst check-in age meanwhile ${(worstCheckInAgeMs / 1000).toFixed(1)} s (interval 10 s)`,
  );
  console.log(
    `baseline, a bare client sending the same results in calls of ${CALL_SIZE}: ${floorBefore.toFixed(1)} s before, ${floorAfter.toFixed(1)} s after (${rate(floor)}); ` +
      `the poller's replay takes ${(seconds / floor).toFixed(2)}× its time`,
  );
} finally {
  await backend.stop();
  target.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
