/**
 * Reads response-time series for graphs: per monitor, points over a time
 * range from the finest tier that still holds the range (raw results while
 * they are kept, 5-minute buckets for 30 days, 1-hour buckets beyond), no
 * more than `maxPoints` of them, bucketed on the fly in SQL when the tier
 * has more. A tier's newest part that is not rolled up yet is read from the
 * finer tiers (down to raw), so a graph always reaches the present.
 */
import type { Database } from '../db/database.ts';
import { DEFAULT_RETENTION, FIVE_MINUTES_MS, ONE_HOUR_MS, floorTo, readProgress } from './rollup.ts';

export type SeriesResolution = 'raw' | '5m' | '1h';

export interface SeriesPoint {
  /** The result's time (raw) or the bucket's start. */
  t: number;
  /** Mean response time; null when no result in the bucket had one. */
  avg: number | null;
  min: number | null;
  max: number | null;
  /** Results with a response time. */
  count: number;
  /** Results UP and DOWN (UNKNOWN ones are in neither). */
  up: number;
  down: number;
}

export interface MonitorSeries {
  monitorId: string;
  /** The tier the points come from. */
  resolution: SeriesResolution;
  /** The width of each point's bucket; null for raw results, one point each. */
  stepMs: number | null;
  points: SeriesPoint[];
}

export interface SeriesQuery {
  serviceId: string;
  /** Only these monitors, each answered even without data; default every monitor with data in the range. */
  monitorIds?: string[];
  fromMs: number;
  /** Exclusive. */
  toMs: number;
  /** Default 500. */
  maxPoints?: number;
  /** What "now" is for the 5-minute tier's retention; default the clock. */
  nowMs?: number;
  /** As the rollup was given; default 30 days. */
  fiveMinuteRetentionMs?: number;
}

export const DEFAULT_MAX_POINTS = 500;
/** Raw results bucketed on the fly use whole seconds. */
const RAW_UNIT_MS = 1000;

interface Tier {
  name: SeriesResolution;
  unitMs: number;
  /** The oldest time the tier holds. */
  holdsFrom: number;
}

export async function queryResponseTimes(db: Database, query: SeriesQuery): Promise<MonitorSeries[]> {
  const { serviceId, fromMs, toMs } = query;
  const maxPoints = query.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) throw new RangeError(`the range must have fromMs < toMs, not ${fromMs}…${toMs}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`maxPoints must be a positive integer, not ${maxPoints}`);
  if (query.monitorIds?.length === 0) return [];

  const progress = await readProgress(db.manager);
  const nowMs = query.nowMs ?? Date.now();
  const tiers: Tier[] = [
    // Raw results go only below the rollup's `raw` mark; without it none have been deleted.
    { name: 'raw', unitMs: RAW_UNIT_MS, holdsFrom: progress.get('raw') ?? -Infinity },
    { name: '5m', unitMs: FIVE_MINUTES_MS, holdsFrom: nowMs - (query.fiveMinuteRetentionMs ?? DEFAULT_RETENTION.fiveMinuteRetentionMs) },
    { name: '1h', unitMs: ONE_HOUR_MS, holdsFrom: -Infinity },
  ];
  // The finest tier that holds the range; then a coarser one while it holds the range too and the
  // points must be at least as wide as its buckets anyway (the same figures, fewer rows to read).
  let i = tiers.findIndex((tier) => fromMs >= tier.holdsFrom);
  while (i < tiers.length - 1 && fromMs >= tiers[i + 1]!.holdsFrom && chooseStep(fromMs, toMs, tiers[i]!.unitMs, maxPoints) >= tiers[i + 1]!.unitMs) i++;
  const tier = tiers[i]!;

  const filter = new Filter(serviceId, query.monitorIds);
  let series: Map<string, SeriesPoint[]>;
  let stepMs: number | null = chooseStep(fromMs, toMs, tier.unitMs, maxPoints);
  if (tier.name === 'raw' && (await mostRawResults(db, filter, fromMs, toMs)) <= maxPoints) {
    stepMs = null;
    series = await rawPoints(db, filter, fromMs, toMs);
  } else {
    series = await bucketedPoints(db, filter, tier.name, stepMs, fromMs, toMs, progress.get('5m') ?? 0, progress.get('1h') ?? 0);
  }
  const monitorIds = query.monitorIds ?? [...series.keys()].sort();
  return monitorIds.map((monitorId) => ({ monitorId, resolution: tier.name, stepMs, points: series.get(monitorId) ?? [] }));
}

/**
 * The narrowest step, a multiple of `unitMs`, whose buckets (aligned on
 * multiples of the step) overlapping [from, to) number at most `maxPoints`.
 */
export function chooseStep(fromMs: number, toMs: number, unitMs: number, maxPoints: number): number {
  const buckets = (step: number) => Math.floor((toMs - 1) / step) - Math.floor(fromMs / step) + 1;
  let step = Math.max(unitMs, Math.ceil((toMs - fromMs) / maxPoints / unitMs) * unitMs);
  while (buckets(step) > maxPoints) step += Math.max(unitMs, floorTo(step / 16, unitMs));
  return step;
}

/** The service and monitor conditions, with their parameters from $1. */
class Filter {
  readonly params: unknown[];
  private readonly monitorList: string;

  constructor(serviceId: string, monitorIds: string[] | undefined) {
    this.params = [serviceId, ...(monitorIds ?? [])];
    this.monitorList = monitorIds ? `AND monitor_id IN (${monitorIds.map((_, i) => `$${i + 2}`).join(', ')})` : '';
  }

  /** `service_id = $1 [AND monitor_id IN (…)]`, with the time parameters after the filter's. */
  where(): string {
    return `service_id = $1 ${this.monitorList}`;
  }

  /** The placeholder of the n-th (from 0) parameter after the filter's. */
  at(n: number): string {
    return `$${this.params.length + 1 + n}`;
  }
}

async function mostRawResults(db: Database, filter: Filter, fromMs: number, toMs: number): Promise<number> {
  const [row] = await db.manager.query(
    `SELECT coalesce(max(n), 0) AS n FROM (
       SELECT count(*) AS n FROM poll_result WHERE ${filter.where()} AND timestamp >= ${filter.at(0)} AND timestamp < ${filter.at(1)} GROUP BY monitor_id
     ) per_monitor`,
    [...filter.params, fromMs, toMs],
  );
  return Number(row.n);
}

async function rawPoints(db: Database, filter: Filter, fromMs: number, toMs: number): Promise<Map<string, SeriesPoint[]>> {
  const rows: { monitor_id: string; timestamp: string | number; status: string; response_time_ms: number | null }[] = await db.manager.query(
    `SELECT monitor_id, timestamp, status, response_time_ms FROM poll_result
     WHERE ${filter.where()} AND timestamp >= ${filter.at(0)} AND timestamp < ${filter.at(1)}
     ORDER BY monitor_id, timestamp, seq`,
    [...filter.params, fromMs, toMs],
  );
  const series = new Map<string, SeriesPoint[]>();
  for (const row of rows) {
    const value = row.response_time_ms === null ? null : Number(row.response_time_ms);
    const point: SeriesPoint = {
      t: Number(row.timestamp),
      avg: value,
      min: value,
      max: value,
      count: value === null ? 0 : 1,
      up: row.status === 'UP' ? 1 : 0,
      down: row.status === 'DOWN' ? 1 : 0,
    };
    const points = series.get(row.monitor_id);
    if (points) points.push(point);
    else series.set(row.monitor_id, [point]);
  }
  return series;
}

/**
 * Points of `stepMs` (a multiple of the tier's buckets) from the tier, and
 * from the finer tiers where it is not rolled up yet: 1-hour buckets before
 * the `1h` mark, 5-minute ones before the `5m` mark, raw results after.
 */
async function bucketedPoints(
  db: Database,
  filter: Filter,
  tier: SeriesResolution,
  stepMs: number,
  fromMs: number,
  toMs: number,
  fiveDoneUntil: number,
  hourDoneUntil: number,
): Promise<Map<string, SeriesPoint[]>> {
  const step = filter.at(0);
  const params: unknown[] = [...filter.params, stepMs];
  const param = (value: number) => {
    params.push(value);
    return `$${params.length}`;
  };
  const bucket = (column: string) => `${column} / ${step}::bigint * ${step}::bigint`;
  const parts: string[] = [];
  const fromTier = (table: string, unitMs: number, since: number, until: number) => {
    const lower = floorTo(since, unitMs);
    const upper = Math.min(toMs, until);
    if (upper <= lower) return;
    parts.push(`
      SELECT monitor_id, ${bucket('bucket_start')} AS t, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
             sum(up_count) AS up, sum(down_count) AS down
      FROM ${table} WHERE ${filter.where()} AND bucket_start >= ${param(lower)} AND bucket_start < ${param(upper)}
      GROUP BY 1, 2`);
  };
  // Each tier answers from where the coarser one stops.
  let fiveFrom = fromMs;
  let rawFrom = fromMs;
  if (tier === '1h') {
    fromTier('response_time_1h', ONE_HOUR_MS, fromMs, hourDoneUntil);
    fiveFrom = Math.max(fromMs, hourDoneUntil);
  }
  if (tier !== 'raw') {
    fromTier('response_time_5m', FIVE_MINUTES_MS, fiveFrom, fiveDoneUntil);
    rawFrom = Math.max(fiveFrom, fiveDoneUntil);
  }
  if (rawFrom < toMs) {
    parts.push(`
      SELECT monitor_id, ${bucket('timestamp')} AS t, count(response_time_ms) AS count, sum(response_time_ms) AS sum,
             min(response_time_ms) AS min, max(response_time_ms) AS max,
             count(*) FILTER (WHERE status = 'UP') AS up, count(*) FILTER (WHERE status = 'DOWN') AS down
      FROM poll_result WHERE ${filter.where()} AND timestamp >= ${param(rawFrom)} AND timestamp < ${param(toMs)}
      GROUP BY 1, 2`);
  }
  if (parts.length === 0) return new Map();
  const rows: Record<string, string | number | null>[] = await db.manager.query(
    `SELECT monitor_id, t, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max, sum(up) AS up, sum(down) AS down
     FROM (${parts.join(' UNION ALL ')}) parts
     GROUP BY monitor_id, t
     ORDER BY monitor_id, t`,
    params,
  );
  const series = new Map<string, SeriesPoint[]>();
  for (const row of rows) {
    const count = Number(row.count);
    const point: SeriesPoint = {
      t: Number(row.t),
      avg: count > 0 ? Number(row.sum) / count : null,
      min: row.min === null ? null : Number(row.min),
      max: row.max === null ? null : Number(row.max),
      count,
      up: Number(row.up),
      down: Number(row.down),
    };
    const monitorId = String(row.monitor_id);
    const points = series.get(monitorId);
    if (points) points.push(point);
    else series.set(monitorId, [point]);
  }
  return series;
}
