/**
 * The embedded database's folder under a steady load over days: raw results
 * written in bulk, a simulated day at a time, then what the backend does
 * with them (the rollup and its retention, the VACUUM and CHECKPOINT of
 * embedded-maintenance.ts), and the folder's size after each day. Bounded
 * means it stops growing once raw retention (a day) starts deleting; the
 * 5-minute and 1-hour tiers still grow slowly (30 and 400 days).
 *
 *   node --import tsx bench/embedded-database-size.bench.ts [services (1000)] [days (7)] [interval-seconds (60)]
 *
 * The shipped configuration polls 3 services (one every 30 s, two every
 * 60 s): 5,760 results a day, the same as `4 1 60`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@vantage/runtime';
import { Database } from '../backend/src/db/database.ts';
import { EmbeddedMaintenance } from '../backend/src/db/embedded-maintenance.ts';
import { ResponseTimeRollup } from '../backend/src/series/rollup.ts';
import { folderBytes, mib } from './support/footprint.ts';

const [services, days, intervalSeconds] = [Number(process.argv[2] ?? 1_000), Number(process.argv[3] ?? 7), Number(process.argv[4] ?? 60)];
const DAY_MS = 24 * 60 * 60_000;
const HOUR_MS = 60 * 60_000;
const T0 = Date.UTC(2026, 0, 1);
const intervalMs = intervalSeconds * 1_000;
const perHour = Math.round((HOUR_MS / intervalMs) * services);

const folder = mkdtempSync(join(tmpdir(), 'vantage-db-size-'));
const dataDir = join(folder, 'db');
const db = await Database.open({ dataDir });
const log = createLogger('bench', { level: 'warn' });
const rollup = new ResponseTimeRollup(db, { log });
const maintenance = new EmbeddedMaintenance(db, log);
console.log(`${services} services every ${intervalSeconds} s (${(perHour * 24).toLocaleString('en')} results a day), ${days} days; empty database ${mib(folderBytes(dataDir))}`);
try {
  await db.transaction((m) =>
    m.query(`INSERT INTO location_monitor (id, location, name, lifecycle, secret_hash, registered_at) VALUES ('m1', 'RDU', 'm1', 'STARTED', 'x', 0)`),
  );
  let seq = 0;
  for (let day = 0; day < days; day++) {
    const startedAt = performance.now();
    // An hour per transaction, as ingest's batches would commit them, with the backend's hourly upkeep between.
    for (let hour = 0; hour < 24; hour++) {
      const hourStart = T0 + day * DAY_MS + hour * HOUR_MS;
      await db.transaction((m) =>
        m.query(
          `INSERT INTO poll_result (monitor_id, seq, service_id, timestamp, status, response_time_ms, reason, details)
           SELECT 'm1', $1::bigint + n, 'node-' || (n % $2) || '/HTTP', $3::bigint + (n / $2) * $4::bigint + (n % $2), 'UP', 5 + (n % 17),
                  NULL, '{"dnsMs": 0.4, "connectMs": 0.3, "firstByteMs": 2.1, "totalMs": 2.9}'::jsonb
           FROM generate_series(0, $5::int - 1) n`,
          [seq, services, hourStart, intervalMs, perHour],
        ),
      );
      seq += perHour;
      const now = hourStart + HOUR_MS;
      await rollup.runOnce(now);
      await maintenance.runOnce(now);
    }
    const [counts] = (await db.manager.query(
      `SELECT (SELECT count(*) FROM poll_result) AS raw, (SELECT count(*) FROM response_time_5m) AS five, (SELECT count(*) FROM response_time_1h) AS hour`,
    )) as { raw: string; five: string; hour: string }[];
    console.log(
      `day ${day + 1}: folder ${mib(folderBytes(dataDir))} (WAL ${mib(folderBytes(join(dataDir, 'pg_wal')))}); rows: raw ${counts!.raw}, 5-minute ${counts!.five}, 1-hour ${counts!.hour}; ` +
        `${((performance.now() - startedAt) / 1000).toFixed(1)} s to simulate`,
    );
  }
} finally {
  await db.close();
  console.log(`after a clean stop: folder ${mib(folderBytes(dataDir))}`);
  rmSync(folder, { recursive: true, force: true });
}
