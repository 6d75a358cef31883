/**
 * Replay speed: a poller of 1,000 services at 60 s comes back after an hour
 * away with 60,000 results on disk; how fast do they reach a real backend
 * (results/s), and do its check-ins stay fresh meanwhile? The backend runs on
 * the embedded database, or on PostgreSQL with DATABASE_URL.
 *
 *   node --import tsx bench/poller-replay.bench.ts [services] [minutes]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWsTransport, Poller, ResultSpool } from '@vantage/frontend-poller';
import { createLogger } from '@vantage/runtime';
import { BENCH_TOKEN, benchLocation, startBenchBackend, startHttpTarget } from './support/bench-backend.ts';

const services = Number(process.argv[2] ?? 1_000);
const minutes = Number(process.argv[3] ?? 60);
const backlog = services * minutes;

const target = await startHttpTarget();
// The services poll every hour, so that what is measured is the replay, not new checks.
const backend = await startBenchBackend(benchLocation('REPLAY', services, 3_600_000, target.port), 'spool-max-age="7200000"');
const stateDir = mkdtempSync(join(tmpdir(), 'vantage-bench-replay-'));
try {
  // An hour of results, as the poller would have spooled them while away.
  const quiet = createLogger('bench', 'error', () => undefined);
  const spool = new ResultSpool({ dir: join(stateDir, 'spool'), maxAgeMs: 7_200_000, maxBytes: 1024 ** 3, fsync: false, log: quiet });
  const startMs = Date.now() - minutes * 60_000;
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
  console.log(
    `replayed ${backlog.toLocaleString('en-US')} results in ${seconds.toFixed(1)} s: ${Math.round(backlog / seconds).toLocaleString('en-US')} results/s ` +
      `(${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded database'}); worst check-in age meanwhile ${(worstCheckInAgeMs / 1000).toFixed(1)} s (interval 10 s)`,
  );
  await poller.stop();
} finally {
  await backend.stop();
  target.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
