/**
 * The statements of one reportResults transaction, written so that a group
 * of batches (arrival-groups.ts) costs a fixed number of round trips
 * whatever its size and however many monitors it holds: each column goes
 * as one array parameter (unnest), and the writes that follow each other go
 * in one statement (data-modifying CTEs). Per group: lock the monitors;
 * store the results and read the states of their services; write the
 * changed states and the monitors' acknowledged seqs.
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

/** A monitor that a batch's results might concern, if it is at another location (result-ingest.ts, othersToReevaluate). */
export interface Watcher {
  location: string;
  connectivityLost: boolean;
  /** How many services it sees down. */
  down: number;
}

/** What a batch needs of its monitor, read under the monitor's row lock. */
export type LockedMonitor = Pick<LocationMonitorRow, 'location' | 'lastSeq' | 'connectivityLost' | 'lifecycle' | 'revokedAt'>;

/** The results of one monitor in a group's statements. */
export interface MonitorResults {
  monitorId: string;
  results: readonly Result[];
}

/** The service states one monitor's batch wrote, and its new acknowledged seq. */
export interface MonitorStates {
  monitorId: string;
  states: readonly ServiceStateRow[];
  lastSeq: number;
}

/**
 * Locks the rows of a group's monitors for the rest of the transaction, in
 * the order of their ids (batches of one monitor are taken one at a time,
 * and two groups never wait on each other in a cycle), and reads what the
 * batches need of them, their standing included; a monitor that is gone
 * has no entry. A statement of its own, so that the statements after it
 * see whatever a batch it waited for committed.
 *
 * With them, the STARTED monitors that are cut off or see at least
 * MIN_SERVICES_FOR_CONNECTIVITY services down (their down_count, kept by
 * triggers): only those, at a location other than a batch's, can be
 * concerned by it, and usually there is none, so the query that looks at
 * their services need not run.
 */
export async function lockMonitors(manager: EntityManager, monitorIds: readonly string[]): Promise<{ monitors: Map<string, LockedMonitor>; watchers: Watcher[] }> {
  const rows = (await batchStatement(
    manager,
    'ingest-lock-monitors',
    `WITH watchers AS (
       SELECT coalesce(json_agg(json_build_array(o.location, o.connectivity_lost, o.down_count)), '[]'::json) AS list
         FROM location_monitor o
        WHERE (o.connectivity_lost OR o.down_count >= ${MIN_SERVICES_FOR_CONNECTIVITY}) AND o.lifecycle = 'STARTED'
     )
     SELECT lm.id, lm.location, lm.last_seq, lm.connectivity_lost, lm.lifecycle, lm.revoked_at, w.list AS watchers
       FROM location_monitor lm CROSS JOIN watchers w
      WHERE lm.id = ANY($1::text[])
      ORDER BY lm.id
        FOR UPDATE OF lm`,
    [monitorIds],
  )) as {
    id: string;
    location: string;
    last_seq: string | number;
    connectivity_lost: boolean;
    lifecycle: LocationMonitorRow['lifecycle'];
    revoked_at: string | number | null;
    watchers: [string, boolean, number][];
  }[];
  const monitors = new Map<string, LockedMonitor>();
  for (const row of rows) {
    monitors.set(row.id, {
      location: row.location,
      lastSeq: Number(row.last_seq),
      connectivityLost: row.connectivity_lost,
      lifecycle: row.lifecycle,
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    });
  }
  const watchers = (rows[0]?.watchers ?? []).map(([location, connectivityLost, down]) => ({ location, connectivityLost, down }));
  return { monitors, watchers };
}

/**
 * Stores the results of a group's monitors (a seq already stored is
 * skipped, and a duplicate seq inside a batch keeps its first copy) and
 * returns the current states of the services they are for, by monitor.
 */
export async function storeResultsAndReadStates(manager: EntityManager, batches: readonly MonitorResults[]): Promise<Map<string, Map<string, ServiceStateRow>>> {
  const results = batches.flatMap((b) => b.results.map((r) => ({ monitorId: b.monitorId, r })));
  const keys = batches.flatMap((b) => [...new Set(b.results.map((r) => r.serviceId))].map((serviceId) => ({ monitorId: b.monitorId, serviceId })));
  const rows = (await manager.query(
    `WITH stored AS (
       INSERT INTO poll_result (monitor_id, seq, service_id, timestamp, status, response_time_ms, reason, details)
       SELECT r.monitor_id, r.seq, r.service_id, r.ts, r.status, r.response_time_ms, r.reason, r.details::jsonb
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::float8[], $7::text[], $8::text[])
              AS r(monitor_id, seq, service_id, ts, status, response_time_ms, reason, details)
       ON CONFLICT DO NOTHING
     )
     SELECT ss.monitor_id, ss.service_id, ss.status, ss.event_status, ss.changed_at, ss.reason, ss.last_result_at
       FROM unnest($9::text[], $10::text[]) AS k(monitor_id, service_id)
       JOIN service_state ss ON ss.monitor_id = k.monitor_id AND ss.service_id = k.service_id`,
    [
      results.map(({ monitorId }) => monitorId),
      results.map(({ r }) => r.seq),
      results.map(({ r }) => r.serviceId),
      results.map(({ r }) => r.timestamp),
      results.map(({ r }) => r.status),
      results.map(({ r }) => r.responseTimeMs ?? null),
      results.map(({ r }) => r.reason ?? null),
      results.map(({ r }) => (r.details === undefined ? null : JSON.stringify(r.details))),
      keys.map((k) => k.monitorId),
      keys.map((k) => k.serviceId),
    ],
  )) as {
    monitor_id: string;
    service_id: string;
    status: ServiceStateRow['status'];
    event_status: ServiceStateRow['eventStatus'];
    changed_at: string | number;
    reason: string | null;
    last_result_at: string | number;
  }[];
  const states = new Map(batches.map((b) => [b.monitorId, new Map<string, ServiceStateRow>()]));
  for (const row of rows) {
    states.get(row.monitor_id)!.set(row.service_id, {
      monitorId: row.monitor_id,
      serviceId: row.service_id,
      status: row.status,
      eventStatus: row.event_status,
      changedAt: Number(row.changed_at),
      reason: row.reason,
      lastResultAt: Number(row.last_result_at),
    });
  }
  return states;
}

/** Writes the service states of a group's monitors (inserted or replaced) and their acknowledged seqs. */
export async function saveStatesAndSeqs(manager: EntityManager, batches: readonly MonitorStates[]): Promise<void> {
  const states = batches.flatMap((b) => b.states);
  await batchStatement(
    manager,
    'ingest-save-states',
    `WITH saved AS (
       INSERT INTO service_state (monitor_id, service_id, status, event_status, changed_at, reason, last_result_at)
       SELECT s.monitor_id, s.service_id, s.status, s.event_status, s.changed_at, s.reason, s.last_result_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::bigint[])
              AS s(monitor_id, service_id, status, event_status, changed_at, reason, last_result_at)
       ON CONFLICT (monitor_id, service_id) DO UPDATE
         SET status = excluded.status, event_status = excluded.event_status, changed_at = excluded.changed_at,
             reason = excluded.reason, last_result_at = excluded.last_result_at
     )
     UPDATE location_monitor lm SET last_seq = q.last_seq
       FROM unnest($8::text[], $9::bigint[]) AS q(id, last_seq)
      -- The ANY as well as the join: a plan made once must find the rows by their key, however many there are.
      WHERE lm.id = q.id AND lm.id = ANY($8::text[])`,
    [
      states.map((s) => s.monitorId),
      states.map((s) => s.serviceId),
      states.map((s) => s.status),
      states.map((s) => s.eventStatus),
      states.map((s) => s.changedAt),
      states.map((s) => s.reason),
      states.map((s) => s.lastResultAt),
      batches.map((b) => b.monitorId),
      batches.map((b) => b.lastSeq),
    ],
  );
}
