/**
 * The backend's metrics in the Prometheus text format (GET /metrics). Each
 * backend has a registry of its own, so several in one process (tests) do
 * not mix. Counters and the histogram move as results come in; the gauges
 * are read from the database when scraped, so every instance shows the same
 * fleet (connected monitors by location and instance, the notification
 * queue) and its own leader roles.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { connectedMonitorCounts } from '../cluster/poller-connections.ts';
import type { Database } from '../db/database.ts';
import type { ResultIngest } from '../ingest/result-ingest.ts';

export interface BackendMetricsSources {
  db: Database;
  ingest: ResultIngest;
  /** Each periodic job and whether this instance leads it (cluster/leadership.ts). */
  leaderRoles: { entries(): [string, boolean][] };
  /** An instance whose heartbeat is older than this has no connections. */
  instanceExpiryMs: number;
}

/** reportResults takes milliseconds when all is well, seconds when the database is slow. */
const BATCH_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createBackendMetrics(sources: BackendMetricsSources): Registry {
  const registry = new Registry();
  const ingested = new Counter({
    name: 'vantage_results_ingested_total',
    help: 'Results stored from reportResults (a resent result counts once), by location',
    labelNames: ['location'],
    registers: [registry],
  });
  sources.ingest.onCommitted((monitor, results) => ingested.inc({ location: monitor.location }, results.length));

  const batchSeconds = new Histogram({
    name: 'vantage_report_results_duration_seconds',
    help: 'Time to take one reportResults batch: checks, the transaction and its commit',
    buckets: BATCH_SECONDS_BUCKETS,
    registers: [registry],
  });
  sources.ingest.onBatchDone((seconds) => batchSeconds.observe(seconds));

  new Gauge({
    name: 'vantage_connected_monitors',
    help: 'Location monitors connected now, by location and by the instance they are connected to (every instance shows all)',
    labelNames: ['location', 'instance'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await connectedMonitorCounts(sources.db, sources.instanceExpiryMs)) this.set({ location: row.location, instance: row.instance }, row.monitors);
    },
  });

  new Gauge({
    name: 'vantage_notification_queue',
    help: 'Notifications waiting to be sent (pending) and being sent (inflight)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = (await sources.db.manager.query(
        `SELECT state, count(*)::int AS n FROM notification WHERE state IN ('pending', 'inflight') GROUP BY state`,
      )) as { state: string; n: number }[];
      for (const state of ['pending', 'inflight']) this.set({ state }, rows.find((r) => r.state === state)?.n ?? 0);
    },
  });

  new Gauge({
    name: 'vantage_leader',
    help: 'Periodic jobs: 1 on the instance that runs the job now, 0 on the others',
    labelNames: ['job'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [job, leading] of sources.leaderRoles.entries()) this.set({ job }, leading ? 1 : 0);
    },
  });
  return registry;
}
