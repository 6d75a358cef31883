/**
 * Ingest cost per result on PostgreSQL, with one and with two backend
 * processes on one database: simulated pollers speak the real protocol over
 * WebSocket (register, pollerStarting, getPollingPackage, then reportResults
 * batches and pollerCheckingIn at the check-in interval), paced at a fixed
 * rate. Prints results/s, the CPU the backend processes and the database's
 * PostgreSQL connections spent per result (from /proc, so what the rest of
 * the machine does is not counted), and p50/p99 round trips of reportResults
 * and of check-ins, and that cost as a ratio to two floors measured right
 * after each case: a bare client inserting the same number of rows in
 * transactions of the case's batch size, into a temporary table and into
 * one indexed like poll_result with a flush at each commit.
 *
 * Cases (each on a fresh database, with 1 and then 2 backends):
 *   steady  1 poller at 2,000 results/s (a 2,000-service package)
 *   fleet   100 pollers × 1,000 services at a 60 s interval (≈ 1,667 results/s)
 *   large   1 poller at 2,000 results/s with a 100,000-service package
 * 0.1% of results flip their service's status (outages, events, alarms).
 *
 *   node --import tsx bench/cluster-ingest.bench.ts [seconds per run = 20] [cases = steady,fleet,large] [backends = 1,2]
 *   (VANTAGE_BENCH_PG_URL defaults to postgres://postgres@127.0.0.1:5432/postgres)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parseResult, type MonitorCredentials } from '@vantage/common';
import { openWsTransport, type Transport } from '@vantage/frontend-poller';
import { createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { freePort, startBackendProcess, type RunningProcess } from '../e2e/support/processes.ts';
import { BENCH_PASSWORD } from './support/bench-backend.ts';

const seconds = Number(process.argv[2] ?? 20);
const caseNames = (process.argv[3] ?? 'steady,fleet,large').split(',');
const backendCounts = (process.argv[4] ?? '1,2').split(',').map(Number);
const WARMUP_S = 3;
const CHECK_IN_INTERVAL_MS = 10_000;
const FLIP_SHARE = 0.001;
const TOKEN = 'bench-token-1234';
/** Results per reportResults call at most: the poller's default. */
const MAX_BATCH = 1_000;

process.env.VANTAGE_TEST_PG_URL ??= process.env.VANTAGE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface BenchCase {
  name: string;
  pollers: number;
  services: number;
  /** Results per second, all pollers together. */
  rate: number;
  /** How often each poller sends what it has gathered. */
  sendEveryMs: number;
}

const CASES: Record<string, BenchCase> = {
  steady: { name: '1 poller at 2,000 results/s, 2,000 services', pollers: 1, services: 2_000, rate: 2_000, sendEveryMs: 100 },
  fleet: { name: '100 pollers × 1,000 services at 60 s', pollers: 100, services: 1_000, rate: (100 * 1_000) / 60, sendEveryMs: 1_000 },
  large: { name: '1 poller at 2,000 results/s, 100,000-service package', pollers: 1, services: 100_000, rate: 2_000, sendEveryMs: 100 },
};

/** One address per service: 10.0.0.1 onwards. */
function address(n: number): string {
  const v = n + 1;
  return `10.${(v >> 16) & 255}.${(v >> 8) & 255}.${v & 255}`;
}

function configXml(services: number): string {
  return `<?xml version="1.0"?><poller-configuration>
  <poller-settings check-in-interval="${CHECK_IN_INTERVAL_MS}" disconnect-timeout="120000"/>
  <package name="bench"><include-range begin="10.0.0.1" end="${address(services - 1)}"/>
    <service name="TCP" interval="60000"><parameter key="port" value="80"/></service></package>
  <monitor service="TCP" type="tcp"/>
  <location name="BENCH" registration-token="${TOKEN}"><polling-package name="bench"/></location>
</poller-configuration>`;
}

/** utime + stime of a process in ms, or undefined once it is gone. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The PostgreSQL server processes serving connections to one database. */
async function pgPids(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.map((r) => r.pid);
}

interface CpuSample {
  backends: Map<number, number>;
  postgres: Map<number, number>;
}

async function sampleCpu(admin: pg.Client, database: string, backendPids: number[]): Promise<CpuSample> {
  const read = (pids: number[]) => new Map(pids.flatMap((pid) => (cpuMs(pid) === undefined ? [] : [[pid, cpuMs(pid)!] as const])));
  return { backends: read(backendPids), postgres: read(await pgPids(admin, database)) };
}

/** Transactions committed in the database so far, by every connection (PostgreSQL's statistics). */
async function committedTransactions(admin: pg.Client, database: string): Promise<number> {
  // The statistics of the current transaction are a snapshot: clear it so that each call reads them afresh.
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await admin.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [database]);
  return Number(rows[0]?.xact_commit ?? 0);
}

/** CPU spent between two samples; a process that appeared in between counts from its start, one that ended in between is lost (rare: pools keep connections). */
function spent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/**
 * The floor a result cannot go below on this machine and database: a bare
 * client storing `rows` rows shaped like results in transactions of
 * `batchSize` multi-row INSERTs, its own CPU plus its PostgreSQL
 * connection's, per row. Measured in the same run as each case, so the
 * case's cost reads as a ratio to it whatever the machine's load.
 *
 * The bare floor goes to a temporary table: no index, no WAL, so no flush
 * at commit. The durable floor goes to a table kept like poll_result (its
 * primary key and two indexes, written ahead and flushed at each commit),
 * what storing a result durably costs at that batch size before any of the
 * backend's own work.
 */
async function floorPerResult(databaseUrl: string, batchSize: number, rows: number, durable: boolean): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (durable) {
      await client.query('CREATE TABLE floor_result (service_id text, seq bigint, time bigint, status text, response_time_ms double precision, PRIMARY KEY (seq))');
      await client.query('CREATE INDEX floor_result_service_time ON floor_result (service_id, time)');
      await client.query('CREATE INDEX floor_result_time ON floor_result (time)');
    } else {
      await client.query('CREATE TEMP TABLE floor_result (service_id text, seq bigint, time bigint, status text, response_time_ms double precision)');
    }
    const serverPid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const serverBefore = cpuMs(serverPid) ?? 0;
    const clientBefore = process.cpuUsage();
    for (let done = 0; done < rows; done += batchSize) {
      const n = Math.min(batchSize, rows - done);
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = 0; i < n; i++) {
        const k = values.length;
        tuples.push(`($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4}, $${k + 5})`);
        values.push(`node${(done + i) % 1000}/HTTP`, done + i, Date.now(), 'UP', 1.5);
      }
      await client.query('BEGIN');
      await client.query(`INSERT INTO floor_result VALUES ${tuples.join(', ')}`, values);
      await client.query('COMMIT');
    }
    const clientCpu = process.cpuUsage(clientBefore);
    const serverCpu = (cpuMs(serverPid) ?? serverBefore) - serverBefore;
    return ((clientCpu.user + clientCpu.system) / 1000 + serverCpu) / rows;
  } finally {
    if (durable) await client.query('DROP TABLE floor_result').catch(() => undefined);
    await client.end();
  }
}

function percentile(sorted: number[], p: number): string {
  if (sorted.length === 0) return '-';
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
}

interface SimulatedPoller {
  transport: Transport;
  seq: number;
  next: number;
  down: Set<number>;
  configVersion: string;
}

async function connectPoller(url: string, index: number): Promise<SimulatedPoller> {
  // Each poller from a loopback address of its own (127.0.1.x, five a piece): the per-address registration and
  // connection limits are for floods, and a fleet of pollers comes from many machines.
  const localAddress = `127.0.1.${1 + Math.floor(index / 5)}`;
  const anonymous = await openWsTransport({ url, localAddress });
  const creds = parseResult('registerLocationMonitor', await anonymous.call('registerLocationMonitor', { location: 'BENCH', name: `bench-${index}`, token: TOKEN })) as MonitorCredentials;
  await anonymous.close();
  const transport = await openWsTransport({ url, credentials: creds, callTimeoutMs: 120_000, localAddress });
  await transport.call('pollerStarting', {});
  const pkg = (await transport.call('getPollingPackage', {})) as { version: string };
  return { transport, seq: 0, next: 0, down: new Set(), configVersion: pkg.version };
}

async function runCase(benchCase: BenchCase, backendCount: number): Promise<void> {
  const storage: TestStorage = await createTestStorage();
  const database = new URL(storage.databaseUrl!).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.VANTAGE_TEST_PG_URL });
  await admin.connect();
  const backends: RunningProcess[] = [];
  const pollers: SimulatedPoller[] = [];
  try {
    const configPath = join(storage.dataDir, 'polling-config.xml');
    await writeFile(configPath, configXml(benchCase.services));
    const urls: string[] = [];
    // One after another: the first creates the schema.
    for (let i = 0; i < backendCount; i++) {
      const port = await freePort();
      const dataDir = join(storage.dataDir, `instance-${i}`);
      await mkdir(dataDir, { recursive: true });
      backends.push(await startBackendProcess({ configPath, port, dataDir, databaseUrl: storage.databaseUrl, adminPassword: BENCH_PASSWORD }));
      urls.push(`ws://127.0.0.1:${port}/rpc`);
    }
    for (let i = 0; i < benchCase.pollers; i++) pollers.push(await connectPoller(urls[i % urls.length]!, i));

    const reportMs: number[] = [];
    const checkInMs: number[] = [];
    let results = 0;
    let measuring = false;
    const stopAt = Date.now() + (WARMUP_S + seconds) * 1000;
    const perPollerRate = benchCase.rate / benchCase.pollers;
    const run = pollers.map(async (poller, index) => {
      // Spread the pollers over the send and check-in periods, as real ones drift apart.
      let sendDue = performance.now() + (index / pollers.length) * benchCase.sendEveryMs;
      let checkInDue = performance.now() + (index / pollers.length) * CHECK_IN_INTERVAL_MS;
      let owed = 0;
      let lastSendAt = performance.now();
      while (Date.now() < stopAt) {
        const wait = Math.min(sendDue, checkInDue) - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (performance.now() >= checkInDue) {
          checkInDue += CHECK_IN_INTERVAL_MS;
          const t0 = performance.now();
          await poller.transport.call('pollerCheckingIn', { configVersion: poller.configVersion });
          if (measuring) checkInMs.push(performance.now() - t0);
          continue;
        }
        // What came due since the last send: a poller held up by a slow answer sends a bigger batch next, as a real spool does.
        sendDue = Math.max(sendDue + benchCase.sendEveryMs, performance.now());
        owed += (perPollerRate * (performance.now() - lastSendAt)) / 1000;
        lastSendAt = performance.now();
        // At most 1,000 a call, as the poller sends (a backlog goes in several calls, one after another).
        const count = Math.min(MAX_BATCH, Math.floor(owed));
        if (count === 0) continue;
        owed -= count;
        if (owed >= 1) sendDue = performance.now();
        const batch = [];
        for (let i = 0; i < count; i++) {
          const n = poller.next++ % benchCase.services;
          if (Math.random() < FLIP_SHARE) {
            if (!poller.down.delete(n)) poller.down.add(n);
          }
          const down = poller.down.has(n);
          batch.push({
            seq: ++poller.seq,
            serviceId: `${address(n)}/TCP`,
            timestamp: Date.now(),
            status: down ? 'DOWN' : 'UP',
            ...(down ? { reason: 'connection refused' } : { responseTimeMs: 1 + Math.random() * 20 }),
          });
        }
        const t0 = performance.now();
        await poller.transport.call('reportResults', { results: batch });
        if (measuring) {
          reportMs.push(performance.now() - t0);
          results += batch.length;
        }
      }
    });

    await new Promise((resolve) => setTimeout(resolve, WARMUP_S * 1000));
    const backendPids = backends.map((b) => b.child.pid!);
    const before = await sampleCpu(admin, database, backendPids);
    const commitsBefore = await committedTransactions(admin, database);
    const started = performance.now();
    measuring = true;
    await Promise.all(run);
    const elapsedS = (performance.now() - started) / 1000;
    const after = await sampleCpu(admin, database, backendPids);
    const commits = (await committedTransactions(admin, database)) - commitsBefore;

    const backendCpu = spent(before.backends, after.backends);
    const postgresCpu = spent(before.postgres, after.postgres);
    reportMs.sort((a, b) => a - b);
    checkInMs.sort((a, b) => a - b);
    const perResult = (ms: number) => (results > 0 ? (ms / results).toFixed(3) : '-');
    const batchSize = Math.max(1, Math.round(results / Math.max(1, reportMs.length)));
    const floorRows = Math.min(results, 40_000);
    const floor = await floorPerResult(storage.databaseUrl!, batchSize, floorRows, false);
    const durableFloor = await floorPerResult(storage.databaseUrl!, batchSize, floorRows, true);
    const ratioTo = (base: number) => (results > 0 ? ((backendCpu + postgresCpu) / results / base).toFixed(1) : '-');
    console.log(
      `${benchCase.name}, ${backendCount} backend${backendCount > 1 ? 's' : ''}: ${Math.round(results / elapsedS)} results/s over ${elapsedS.toFixed(1)} s; ` +
        `CPU per result: backend ${perResult(backendCpu)} ms (${backendPids.map((pid) => perResult((after.backends.get(pid) ?? 0) - (before.backends.get(pid) ?? 0))).join(' + ')}) + PostgreSQL ${perResult(postgresCpu)} ms = ${perResult(backendCpu + postgresCpu)} ms; ` +
        `reportResults p50 ${percentile(reportMs, 50)} ms p99 ${percentile(reportMs, 99)} ms (${reportMs.length} calls); ` +
        `${(commits / elapsedS).toFixed(0)} transactions/s; ` +
        `check-in p50 ${percentile(checkInMs, 50)} ms p99 ${percentile(checkInMs, 99)} ms (${checkInMs.length}); ` +
        `${ratioTo(floor)}× the floor of a bare client inserting the same rows in batches of ${batchSize} (${floor.toFixed(3)} ms a row), ` +
        `${ratioTo(durableFloor)}× its durable floor (${durableFloor.toFixed(3)} ms a row: indexed like poll_result, flushed at each commit)`,
    );
  } finally {
    for (const poller of pollers) await poller.transport.close().catch(() => undefined);
    for (const backend of backends) await backend.stop();
    await admin.end();
    await storage.cleanup();
  }
}

console.log(`cluster ingest on PostgreSQL: ${seconds} s per run after ${WARMUP_S} s warm-up; ${FLIP_SHARE * 100}% of results flip a service's status`);
for (const name of caseNames) {
  const benchCase = CASES[name];
  if (!benchCase) throw new Error(`unknown case "${name}" (known: ${Object.keys(CASES).join(', ')})`);
  for (const count of backendCounts) await runCase(benchCase, count);
}
