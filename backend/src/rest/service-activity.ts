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
  const sql = `
    SELECT service_id, ${monitorColumn} AS monitor_id, t, sum(up) AS up, sum(down) AS down, sum(n) AS n, sum(total) AS total FROM (
      SELECT service_id, monitor_id, bucket_start / $1::bigint * $1::bigint AS t, up_count AS up, down_count AS down, count AS n, sum AS total
      FROM response_time_5m WHERE bucket_start >= ${param(floorTo(fromMs, FIVE_MINUTES_MS))} AND bucket_start < ${param(rolledUpUntil)} ${service}
      UNION ALL
      SELECT service_id, monitor_id, timestamp / $1::bigint * $1::bigint AS t,
             (status = 'UP')::int AS up, (status = 'DOWN')::int AS down, (response_time_ms IS NOT NULL)::int AS n, coalesce(response_time_ms, 0) AS total
      FROM poll_result WHERE timestamp >= ${param(Math.max(fromMs, rolledUpUntil))} AND timestamp < ${param(toMs)} ${service}
    ) parts
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  const rows: { service_id: string; monitor_id: string | null; t: string | number; up: string | number; down: string | number; n: string | number; total: string | number }[] =
    await db.manager.query(sql, params);
  const activity = new Map<string, ActivityPeriod[]>();
  for (const row of rows) {
    const count = Number(row.n);
    const period: ActivityPeriod = { t: Number(row.t), up: Number(row.up), down: Number(row.down), count, avgMs: count > 0 ? Number(row.total) / count : null };
    const key = activityKey(row.service_id, row.monitor_id ?? undefined);
    const list = activity.get(key);
    if (list) list.push(period);
    else activity.set(key, [period]);
  }
  return activity;
}
