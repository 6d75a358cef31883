/**
 * What every service did over a window, in equal periods, in one query:
 * results up and down and the mean response time per period, from the
 * 5-minute tier where it is rolled up and from raw results after its mark
 * (series/rollup.ts keeps raw results until they are rolled up, so the two
 * parts never overlap and never leave a hole). The services list draws its
 * status bars and sparklines from this, and the service page its bars per
 * location, without one query per service.
 */
import type { Database } from '../db/database.ts';
import { FIVE_MINUTES_MS, floorTo, readProgress } from '../series/rollup.ts';

export interface ActivityPeriod {
  /** The period's start; periods are `stepMs` wide, aligned on multiples of it. */
  t: number;
  up: number;
  down: number;
  /** Results with a response time, and their mean (null without any). */
  count: number;
  avgMs: number | null;
}

export interface ActivityQuery {
  fromMs: number;
  toMs: number;
  /** A multiple of 5 minutes, so rolled-up buckets fall whole into one period. */
  stepMs: number;
  /**
   * The services asked about (the configured ones, or the one of the service page). Named, not
   * "all": raw results are then found by the (service_id, timestamp) index, not by reading a
   * day of every monitor's results.
   */
  serviceIds: readonly string[];
  /** Per monitor as well as per service (the service page splits by location). */
  byMonitor?: boolean;
}

/** Key of the answer: the service id, or "serviceId\u0000monitorId" with `byMonitor`. */
export const activityKey = (serviceId: string, monitorId?: string) => (monitorId === undefined ? serviceId : `${serviceId}\u0000${monitorId}`);

export async function serviceActivity(db: Database, query: ActivityQuery): Promise<Map<string, ActivityPeriod[]>> {
  const { fromMs, toMs, stepMs } = query;
  if (!(stepMs > 0) || stepMs % FIVE_MINUTES_MS !== 0) throw new RangeError(`the period must be a multiple of 5 minutes, not ${stepMs} ms`);
  if (!(fromMs < toMs)) throw new RangeError(`the range must have fromMs < toMs, not ${fromMs}…${toMs}`);
  const rolledUpUntil = Math.max(floorTo(fromMs, FIVE_MINUTES_MS), Math.min(toMs, (await readProgress(db.manager)).get('5m') ?? 0));
  const params: unknown[] = [stepMs];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.serviceIds.length === 0) return new Map();
  const service = `AND service_id = ANY(${param([...query.serviceIds])}::text[])`;
  const monitorColumn = query.byMonitor ? 'monitor_id' : 'NULL::text';
  // One row per service (or service and monitor), its periods as one JSON array: PGlite hands each
  // row and field to JavaScript one by one, and a row per period (2,100 for 300 services over a
  // day) cost twice the query itself; JSON.parse of 300 arrays costs next to nothing.
  const sql = `
    SELECT service_id, monitor_id, json_agg(json_build_array(t, up, down, n, total) ORDER BY t)::text AS periods FROM (
      SELECT service_id, ${monitorColumn} AS monitor_id, t, sum(up) AS up, sum(down) AS down, sum(n) AS n, sum(total) AS total FROM (
        SELECT service_id, monitor_id, bucket_start / $1::bigint * $1::bigint AS t, up_count AS up, down_count AS down, count AS n, sum AS total
        FROM response_time_5m WHERE bucket_start >= ${param(floorTo(fromMs, FIVE_MINUTES_MS))} AND bucket_start < ${param(rolledUpUntil)} ${service}
        UNION ALL
        SELECT service_id, monitor_id, timestamp / $1::bigint * $1::bigint AS t,
               (status = 'UP')::int AS up, (status = 'DOWN')::int AS down, (response_time_ms IS NOT NULL)::int AS n, coalesce(response_time_ms, 0) AS total
        FROM poll_result WHERE timestamp >= ${param(Math.max(fromMs, rolledUpUntil))} AND timestamp < ${param(toMs)} ${service}
      ) parts
      GROUP BY 1, 2, 3
    ) periods
    GROUP BY 1, 2`;
  const rows: { service_id: string; monitor_id: string | null; periods: string }[] = await db.manager.query(sql, params);
  const activity = new Map<string, ActivityPeriod[]>();
  for (const row of rows) {
    const periods = (JSON.parse(row.periods) as [number, number, number, number, number][]).map(([t, up, down, count, total]) => ({
      t,
      up,
      down,
      count,
      avgMs: count > 0 ? total / count : null,
    }));
    activity.set(activityKey(row.service_id, row.monitor_id ?? undefined), periods);
  }
  return activity;
}
