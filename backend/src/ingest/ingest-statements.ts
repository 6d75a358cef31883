/**
 * The statements of one reportResults transaction, written so that a batch
 * costs a fixed number of round trips whatever its size: each column goes
 * as one array parameter (unnest), and the writes that follow each other go
 * in one statement (data-modifying CTEs). Per batch: store the results and
 * read the states of their services; write the changed states and the
 * monitor's acknowledged seq.
 */
import type { ParamsOf } from '@vantage/common';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';
import { MIN_SERVICES_FOR_CONNECTIVITY } from '../correlation/connectivity.ts';
import type { LocationMonitorRow, ServiceStateRow } from '../db/entities.ts';

type Result = ParamsOf<'reportResults'>['results'][number];

/**
 * A statement run for every batch whose plan cannot depend on how many rows
 * its tables hold (one row by primary key, an insert). On PostgreSQL it is
 * a named prepared statement, parsed and planned once per connection rather
 * than per batch; on the embedded database a plain query. Inside a
 * transaction `manager` holds the connection, so the statement runs in it.
 *
 * A statement that reads service_state is not one of them: a plan made
 * while the table was nearly empty (a new installation, a new package)
 * scans it whole, and would be kept while it grows to every service of
 * every monitor, until the table is next analyzed. Planned each time, it
 * follows the table's size.
 */
async function batchStatement(manager: EntityManager, name: string, text: string, values: unknown[]): Promise<unknown[]> {
  const connection = (manager.queryRunner as { databaseConnection?: unknown } | undefined)?.databaseConnection;
  // node-postgres as TypeORM loaded it: only on PostgreSQL. Not imported here, so that the embedded
  // database's start never evaluates it (its first use of the global Response loads Node's whole fetch).
  const nodePostgres = (manager.connection.driver as { postgres?: Partial<typeof pg> }).postgres;
  if (nodePostgres?.Client && connection instanceof nodePostgres.Client) return (await connection.query({ name, text, values })).rows as unknown[];
  return (await manager.query(text, values)) as unknown[];
}

/** A monitor at another location that a batch's results might concern (result-ingest.ts, othersToReevaluate). */
export interface Watcher {
  location: string;
  connectivityLost: boolean;
  /** How many services it sees down. */
  down: number;
}

/**
 * Locks the monitor's row for the rest of the transaction (batches of one
 * monitor are taken one at a time) and reads what the batch needs of it,
 * its standing included; null when the monitor is gone. A statement of its own, so that the
 * statements after it see whatever a batch it waited for committed.
 *
 * With it, the STARTED monitors at other locations that are cut off or see
 * at least MIN_SERVICES_FOR_CONNECTIVITY services down (their down_count,
 * kept by triggers): only those can be concerned by this batch, and usually
 * there is none, so the query that looks at their services need not run.
 */
export async function lockMonitor(
  manager: EntityManager,
  monitorId: string,
): Promise<(Pick<LocationMonitorRow, 'lastSeq' | 'connectivityLost' | 'lifecycle' | 'revokedAt'> & { watchers: Watcher[] }) | null> {
  const [row] = (await batchStatement(
    manager,
    'ingest-lock-monitor',
    `SELECT lm.last_seq, lm.connectivity_lost, lm.lifecycle, lm.revoked_at,
            (SELECT coalesce(json_agg(json_build_array(o.location, o.connectivity_lost, o.down_count)), '[]'::json)
               FROM location_monitor o
              WHERE (o.connectivity_lost OR o.down_count >= ${MIN_SERVICES_FOR_CONNECTIVITY})
                AND o.location <> lm.location AND o.lifecycle = 'STARTED') AS watchers
       FROM location_monitor lm WHERE lm.id = $1 FOR UPDATE OF lm`,
    [monitorId],
  )) as {
    last_seq: string | number;
    connectivity_lost: boolean;
    lifecycle: LocationMonitorRow['lifecycle'];
    revoked_at: string | number | null;
    watchers: [string, boolean, number][];
  }[];
  if (!row) return null;
  return {
    lastSeq: Number(row.last_seq),
    connectivityLost: row.connectivity_lost,
    lifecycle: row.lifecycle,
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    watchers: row.watchers.map(([location, connectivityLost, down]) => ({ location, connectivityLost, down })),
  };
}

/**
 * Stores a monitor's results (a seq already stored is skipped, and a
 * duplicate seq inside the batch keeps its first copy) and returns the
 * current states of the services they are for.
 */
export async function storeResultsAndReadStates(manager: EntityManager, monitorId: string, results: readonly Result[]): Promise<Map<string, ServiceStateRow>> {
  const serviceIds = [...new Set(results.map((r) => r.serviceId))];
  const rows = (await manager.query(
    `WITH stored AS (
       INSERT INTO poll_result (monitor_id, seq, service_id, timestamp, status, response_time_ms, reason, details)
       SELECT $1, r.seq, r.service_id, r.ts, r.status, r.response_time_ms, r.reason, r.details::jsonb
         FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::float8[], $7::text[], $8::text[])
              AS r(seq, service_id, ts, status, response_time_ms, reason, details)
       ON CONFLICT DO NOTHING
     )
     SELECT service_id, status, event_status, changed_at, reason, last_result_at
       FROM service_state WHERE monitor_id = $1 AND service_id = ANY($9::text[])`,
    [
      monitorId,
      results.map((r) => r.seq),
      results.map((r) => r.serviceId),
      results.map((r) => r.timestamp),
      results.map((r) => r.status),
      results.map((r) => r.responseTimeMs ?? null),
      results.map((r) => r.reason ?? null),
      results.map((r) => (r.details === undefined ? null : JSON.stringify(r.details))),
      serviceIds,
    ],
  )) as { service_id: string; status: ServiceStateRow['status']; event_status: ServiceStateRow['eventStatus']; changed_at: string | number; reason: string | null; last_result_at: string | number }[];
  return new Map(
    rows.map((row) => [
      row.service_id,
      {
        monitorId,
        serviceId: row.service_id,
        status: row.status,
        eventStatus: row.event_status,
        changedAt: Number(row.changed_at),
        reason: row.reason,
        lastResultAt: Number(row.last_result_at),
      },
    ]),
  );
}

/** Writes a monitor's service states (inserted or replaced) and its acknowledged seq. */
export async function saveStatesAndSeq(manager: EntityManager, monitorId: string, states: readonly ServiceStateRow[], lastSeq: number): Promise<void> {
  await batchStatement(
    manager,
    'ingest-save-states',
    `WITH saved AS (
       INSERT INTO service_state (monitor_id, service_id, status, event_status, changed_at, reason, last_result_at)
       SELECT $1, s.service_id, s.status, s.event_status, s.changed_at, s.reason, s.last_result_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
              AS s(service_id, status, event_status, changed_at, reason, last_result_at)
       ON CONFLICT (monitor_id, service_id) DO UPDATE
         SET status = excluded.status, event_status = excluded.event_status, changed_at = excluded.changed_at,
             reason = excluded.reason, last_result_at = excluded.last_result_at
     )
     UPDATE location_monitor SET last_seq = $8 WHERE id = $1`,
    [
      monitorId,
      states.map((s) => s.serviceId),
      states.map((s) => s.status),
      states.map((s) => s.eventStatus),
      states.map((s) => s.changedAt),
      states.map((s) => s.reason),
      states.map((s) => s.lastResultAt),
      lastSeq,
    ],
  );
}
