/**
 * A bare database for the series tests, and rows written straight into it
 * with SQL so their timestamps are under the test's control.
 */
import { Database } from '../src/db/database.ts';
import { createTestStorage, type TestStorage } from './test-database.ts';

export interface SeriesTestDb {
  db: Database;
  storage: TestStorage;
  close(): Promise<void>;
}

export async function openSeriesTestDb(): Promise<SeriesTestDb> {
  const storage = await createTestStorage();
  const db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
  return {
    db,
    storage,
    async close() {
      await db.close();
      await storage.cleanup();
    },
  };
}

/** Empties the raw results, the rollup tiers and their progress. */
export async function resetSeries(db: Database): Promise<void> {
  await db.transaction((m) => m.query(`TRUNCATE poll_result, response_time_5m, response_time_1h, rollup_progress, rollup_seq`));
}

export async function addMonitor(db: Database, id: string): Promise<void> {
  await db.transaction((m) =>
    m.query(
      `INSERT INTO location_monitor (id, location, name, lifecycle, secret_hash, registered_at)
       VALUES ($1, 'RDU', $1, 'STARTED', 'x', 0) ON CONFLICT (id) DO NOTHING`,
      [id],
    ),
  );
}

export type Status = 'UP' | 'DOWN' | 'UNKNOWN';
export interface RawResult {
  serviceId: string;
  timestamp: number;
  status: Status;
  responseTimeMs?: number | null;
}

/** Stores results for a monitor with the next seqs after its highest stored (or rolled-up) one, as ingest would. */
export async function insertResults(db: Database, monitorId: string, results: RawResult[]): Promise<void> {
  await db.transaction(async (m) => {
    const [row] = await m.query(
      `SELECT greatest(coalesce((SELECT max(seq) FROM poll_result WHERE monitor_id = $1), 0),
                       coalesce((SELECT rolled_seq FROM rollup_seq WHERE monitor_id = $1), 0)) AS seq`,
      [monitorId],
    );
    let seq = Number(row.seq);
    for (const r of results) {
      await m.query(
        `INSERT INTO poll_result (monitor_id, seq, service_id, timestamp, status, response_time_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
        [monitorId, ++seq, r.serviceId, r.timestamp, r.status, r.responseTimeMs ?? null],
      );
    }
  });
}

/**
 * Stores `count` results of one service, one every `everyMs` from `fromMs`,
 * in one statement: the i-th (from 0) is DOWN without a response time when
 * i % downEvery = downEvery - 1, else UP taking `10 + i % 5` ms.
 */
export async function insertSeries(
  db: Database,
  monitorId: string,
  serviceId: string,
  fromMs: number,
  everyMs: number,
  count: number,
  downEvery = 10,
): Promise<void> {
  await db.transaction(async (m) => {
    const [row] = await m.query(
      `SELECT greatest(coalesce((SELECT max(seq) FROM poll_result WHERE monitor_id = $1), 0),
                       coalesce((SELECT rolled_seq FROM rollup_seq WHERE monitor_id = $1), 0)) AS seq`,
      [monitorId],
    );
    await m.query(
      `INSERT INTO poll_result (monitor_id, seq, service_id, timestamp, status, response_time_ms)
       SELECT $1, $2::bigint + i + 1, $3, $4::bigint + i * $5::bigint,
              CASE WHEN i % $6 = $6 - 1 THEN 'DOWN' ELSE 'UP' END,
              CASE WHEN i % $6 = $6 - 1 THEN NULL ELSE 10 + i % 5 END
       FROM generate_series(0, $7::int - 1) AS i`,
      [monitorId, Number(row.seq), serviceId, fromMs, everyMs, downEvery, count],
    );
  });
}

/** Expected figures of `insertSeries` results i in [first, last]. */
export function seriesFigures(first: number, last: number, downEvery = 10) {
  let count = 0;
  let sum = 0;
  let up = 0;
  let down = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = first; i <= last; i++) {
    if (i % downEvery === downEvery - 1) {
      down++;
      continue;
    }
    const v = 10 + (i % 5);
    up++;
    count++;
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { count, sum, up, down, min: count ? min : null, max: count ? max : null };
}

export interface BucketRow {
  monitorId: string;
  serviceId: string;
  bucketStart: number;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  up: number;
  down: number;
}

export async function buckets(db: Database, table: 'response_time_5m' | 'response_time_1h', monitorId?: string): Promise<BucketRow[]> {
  const rows: Record<string, unknown>[] = await db.manager.query(
    `SELECT * FROM ${table} ${monitorId ? 'WHERE monitor_id = $1' : ''} ORDER BY monitor_id, service_id, bucket_start`,
    monitorId ? [monitorId] : [],
  );
  return rows.map((r) => ({
    monitorId: String(r.monitor_id),
    serviceId: String(r.service_id),
    bucketStart: Number(r.bucket_start),
    count: Number(r.count),
    sum: Number(r.sum),
    min: r.min === null ? null : Number(r.min),
    max: r.max === null ? null : Number(r.max),
    up: Number(r.up_count),
    down: Number(r.down_count),
  }));
}

export async function scalar(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.manager.query(sql, params);
  return Number(Object.values(row as object)[0] ?? NaN);
}
