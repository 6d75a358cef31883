/**
 * REST for services: every configured service with its state per location,
 * a status history in periods and a response-time sparkline
 * (GET /api/services, filtered and sorted), and everything the service page
 * shows in one answer (GET /api/services/NODE/SERVICE): its state at each
 * location and from each monitor, the history per location, the response
 * times of every location on one time axis, and its outages.
 */
import type { PolledService } from '@vantage/common';
import type { FastifyInstance } from 'fastify';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import { ServiceStateEntity, type LocationMonitorRow, type ServiceStateRow } from '../db/entities.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import { wireStatus } from '../location-monitors/monitor-state.ts';
import { queryOutages } from '../outages/outage-store.ts';
import { queryResponseTimes, type SeriesPoint } from '../series/series-query.ts';
import { AnswerCache, type AnswerChanges } from './answer-cache.ts';
import { QueryReader } from './query-params.ts';
import { activityKey, serviceActivity, type ActivityPeriod } from './service-activity.ts';
import { SERVICE_STATES, locationState, overallState, periodLetter, type ServiceState } from './service-states.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The windows offered, each with the width of its history periods (a multiple of 5 minutes). */
export const SERVICE_WINDOWS = {
  '1h': { ms: HOUR_MS, stepMs: 5 * MINUTE_MS },
  '6h': { ms: 6 * HOUR_MS, stepMs: 15 * MINUTE_MS },
  '24h': { ms: 24 * HOUR_MS, stepMs: 30 * MINUTE_MS },
  '7d': { ms: 7 * 24 * HOUR_MS, stepMs: 3 * HOUR_MS },
  '30d': { ms: 30 * 24 * HOUR_MS, stepMs: 12 * HOUR_MS },
} as const;
type WindowKey = keyof typeof SERVICE_WINDOWS;
const WINDOW_KEYS = Object.keys(SERVICE_WINDOWS) as WindowKey[];

const SORTS = ['name', 'state', 'type', 'uptime', 'response'] as const;
type SortKey = (typeof SORTS)[number];

/** Monitors that count at a location: admitted, not revoked (their state says whether they are checking). */
const counts = (m: LocationMonitorRow) => m.lifecycle !== 'PENDING' && m.lifecycle !== 'DENIED' && m.lifecycle !== 'REVOKED' && m.lifecycle !== 'DELETED';

/** The changes (answer-cache.ts) clear the kept services lists. */
export interface ServiceRouteDependencies extends AnswerChanges {
  db: Database;
  configs: ConfigHolder;
  monitors: LocationMonitorService;
}

interface CatalogEntry {
  service: PolledService;
  /** Locations whose package polls it, in configuration order. */
  locations: string[];
}

export function registerServiceRoutes(app: FastifyInstance, deps: ServiceRouteDependencies): void {
  /** Every service some location polls, by id. */
  const catalog = () => {
    const entries = new Map<string, CatalogEntry>();
    for (const location of deps.configs.config.locations.keys()) {
      for (const service of deps.configs.packageFor(location)?.package.services ?? []) {
        const entry = entries.get(service.serviceId);
        if (entry) entry.locations.push(location);
        else entries.set(service.serviceId, { service, locations: [location] });
      }
    }
    return entries;
  };

  /** The state of each of the entry's locations, from the monitors there and what they last saw. */
  const statesOf = (entry: CatalogEntry, monitorsAt: Map<string, LocationMonitorRow[]>, seen: Map<string, LastSeen>) =>
    entry.locations.map((location) => {
      const monitors = monitorsAt.get(location) ?? [];
      const views = monitors.map((m) => {
        const row = seen.get(activityKey(entry.service.serviceId, m.id));
        return { status: wireStatus(m), seen: row ? { status: row.status, lastResultAt: row.lastResultAt } : null };
      });
      const checking = views.filter((v) => v.status === 'STARTED').length;
      return { location, state: locationState(views, deps.configs.location(location)?.mode === 'distribute'), monitors: monitors.length, checking };
    });

  const summarize = (entry: CatalogEntry, locations: ReturnType<typeof statesOf>, periods: ActivityPeriod[] | undefined, window: ReturnType<typeof windowOf>) => {
    const { service } = entry;
    const byT = new Map((periods ?? []).map((p) => [p.t, p]));
    let up = 0;
    let down = 0;
    let total = 0;
    let n = 0;
    let history = '';
    const responseMs: (number | null)[] = [];
    for (const t of window.periodStarts) {
      const p = byT.get(t);
      up += p?.up ?? 0;
      down += p?.down ?? 0;
      if (p?.avgMs !== null && p?.avgMs !== undefined) {
        total += p.avgMs * p.count;
        n += p.count;
      }
      history += periodLetter(p?.up ?? 0, p?.down ?? 0);
      responseMs.push(p?.avgMs === null || p?.avgMs === undefined ? null : Math.round(p.avgMs * 10) / 10);
    }
    return {
      id: service.serviceId,
      node: service.nodeLabel,
      service: service.serviceName,
      host: service.host,
      monitorType: service.monitor,
      intervalMs: service.intervalMs,
      applications: deps.configs.applicationsOf(service.serviceId).map((a) => a.name),
      state: overallState(locations.map((l) => l.state)),
      /** Results up ÷ results up or down over the window; null without any. */
      uptime: up + down > 0 ? up / (up + down) : null,
      avgResponseMs: n > 0 ? Math.round((total / n) * 10) / 10 : null,
      locations,
      /** One letter per period (see periodLetter), oldest first. */
      history,
      responseMs,
    };
  };

  const monitorsByLocation = async () => {
    const rows = (await deps.monitors.list()).filter(counts);
    const at = new Map<string, LocationMonitorRow[]>();
    for (const m of rows) at.set(m.location, [...(at.get(m.location) ?? []), m]);
    return { rows, at };
  };

  /** Every service's summary over a window, computed once for all the filters and sorts asked in the next seconds. */
  const lists = AnswerCache.forRoutes<{ window: ReturnType<typeof windowOf>; all: ReturnType<typeof summarize>[] }>(app, deps, 'services-list-answers');
  const summarizeAll = async (windowKey: WindowKey) => {
    const window = windowOf(windowKey, Date.now());
    const entries = catalog();
    const [{ at }, seen, activity] = await Promise.all([
      monitorsByLocation(),
      lastSeenByEveryMonitor(deps.db),
      serviceActivity(deps.db, { fromMs: window.periodStarts[0]!, toMs: window.toMs, stepMs: window.stepMs, serviceIds: [...entries.keys()] }),
    ]);
    return { window, all: [...entries.values()].map((entry) => summarize(entry, statesOf(entry, at, seen), activity.get(entry.service.serviceId), window)) };
  };

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/services', async (request, reply) => {
    const q = new QueryReader(request.query, ['window', 'q', 'state', 'location', 'application', 'sort']);
    const windowKey = q.oneOf('window', WINDOW_KEYS) ?? '24h';
    const state = q.oneOf('state', SERVICE_STATES);
    const location = q.string('location');
    const application = q.string('application');
    const sortRaw = q.string('sort') ?? 'name';
    const sort = sortRaw.replace(/^-/, '') as SortKey;
    q.check(SORTS.includes(sort), `sort must be one of ${SORTS.join(', ')} (with "-" in front for the reverse order), got "${sortRaw}"`);
    q.check(location === undefined || deps.configs.location(location) !== undefined, `no location "${location}"`);
    q.check(application === undefined || deps.configs.config.applications.has(application), `no application "${application}"`);
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });

    const { window, all } = await lists.get(windowKey, () => summarizeAll(windowKey));
    const words = (q.string('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const services = all.filter(
      (s) =>
        (state === undefined || s.state === state || s.locations.some((l) => l.state === state)) &&
        (location === undefined || s.locations.some((l) => l.location === location)) &&
        (application === undefined || s.applications.includes(application)) &&
        words.every((w) => [s.id, s.host, s.monitorType, ...s.applications].some((field) => field.toLowerCase().includes(w))),
    );
    services.sort(comparator(sort, sortRaw.startsWith('-')));
    return {
      window: { key: windowKey, fromMs: window.fromMs, toMs: window.toMs, stepMs: window.stepMs, periods: window.periodStarts.length, firstPeriodMs: window.periodStarts[0] },
      total: all.length,
      locations: [...deps.configs.config.locations.keys()],
      applications: [...deps.configs.config.applications.keys()],
      services,
    };
  });

  // A service id is NODE/SERVICE: its two parts are the path's last two segments (each escaped as needed).
  app.get<{ Params: { node: string; service: string }; Querystring: Record<string, string | undefined> }>('/api/services/:node/:service', async (request, reply) => {
    const q = new QueryReader(request.query, ['window']);
    const windowKey = q.oneOf('window', WINDOW_KEYS) ?? '24h';
    if (q.problems.length) return reply.code(400).send({ error: q.problems.join('; ') });
    const serviceId = `${request.params.node}/${request.params.service}`;
    const entry = catalog().get(serviceId);
    if (!entry) return reply.code(404).send({ error: `no service "${serviceId}" is polled from any location (a service id is NODE-LABEL/SERVICE-NAME)` });

    const window = windowOf(windowKey, Date.now());
    const [{ rows, at }, stateRows, activity, series, outages] = await Promise.all([
      monitorsByLocation(),
      deps.db.manager.findBy(ServiceStateEntity, { serviceId }),
      serviceActivity(deps.db, { fromMs: window.periodStarts[0]!, toMs: window.toMs, stepMs: window.stepMs, serviceIds: [serviceId], byMonitor: true }),
      queryResponseTimes(deps.db, { serviceId, fromMs: window.fromMs, toMs: window.toMs, maxPoints: 400 }),
      queryOutages(deps.db, { serviceId, fromMs: window.fromMs, toMs: window.toMs, limit: 500 }),
    ]);
    const seen = new Map(stateRows.map((r) => [activityKey(r.serviceId, r.monitorId), r]));
    const locations = statesOf(entry, at, seen);
    const locationOf = new Map(rows.map((m) => [m.id, m.location]));
    // The whole service's periods, and each location's, from the per-monitor ones.
    const perLocation = new Map<string, ActivityPeriod[]>();
    const whole: ActivityPeriod[] = [];
    for (const [key, periods] of activity) {
      const location = locationOf.get(key.split('\u0000')[1] ?? '');
      if (location !== undefined) perLocation.set(location, [...(perLocation.get(location) ?? []), ...periods]);
      whole.push(...periods);
    }
    const summary = summarize(entry, locations, mergePeriods(whole), window);
    return {
      window: { key: windowKey, fromMs: window.fromMs, toMs: window.toMs, stepMs: window.stepMs, periods: window.periodStarts.length, firstPeriodMs: window.periodStarts[0] },
      service: summary,
      locations: locations.map((l) => ({
        ...l,
        history: summarize(entry, [l], mergePeriods(perLocation.get(l.location) ?? []), window).history,
      })),
      monitors: entry.locations.flatMap((location) =>
        (at.get(location) ?? []).map((m) => {
          const row = seen.get(activityKey(serviceId, m.id));
          return {
            id: m.id,
            name: m.name,
            location,
            status: wireStatus(m),
            seen: row ? { status: row.status, since: row.changedAt, reason: row.reason, lastResultAt: row.lastResultAt } : null,
          };
        }),
      ),
      // One line per location on one time axis (a location's monitors merged), for one chart with one scale.
      responseTimes: mergeSeriesByLocation(series, locationOf),
      outages,
    };
  });
}

/** What a monitor last saw of a service: all the list shows of its service_state row. */
type LastSeen = Pick<ServiceStateRow, 'status' | 'lastResultAt'>;

/**
 * What every monitor last saw of every service, by `activityKey(serviceId, monitorId)`.
 * Only these two columns, read raw: TypeORM's mapping of every whole row cost
 * three times the query (55 ms against 16 ms for 750 rows on PGlite).
 */
async function lastSeenByEveryMonitor(db: Database): Promise<Map<string, LastSeen>> {
  const rows: { service_id: string; monitor_id: string; status: LastSeen['status']; last_result_at: string | number }[] = await db.manager.query(
    `SELECT service_id, monitor_id, status, last_result_at FROM service_state`,
  );
  return new Map(rows.map((r) => [activityKey(r.service_id, r.monitor_id), { status: r.status, lastResultAt: Number(r.last_result_at) }]));
}

function windowOf(key: WindowKey, nowMs: number) {
  const { ms, stepMs } = SERVICE_WINDOWS[key];
  const fromMs = nowMs - ms;
  // A fixed number of periods, the last one the current (partial) one: every list has as many bars.
  const last = Math.floor(nowMs / stepMs) * stepMs;
  const periods = Math.round(ms / stepMs);
  const periodStarts = Array.from({ length: periods }, (_, i) => last - (periods - 1 - i) * stepMs);
  return { fromMs, toMs: nowMs, stepMs, periodStarts };
}

/** Periods with the same start added together (several monitors of one location). */
function mergePeriods(periods: ActivityPeriod[]): ActivityPeriod[] {
  const byT = new Map<number, ActivityPeriod>();
  for (const p of periods) {
    const sum = byT.get(p.t);
    if (!sum) {
      byT.set(p.t, { ...p });
      continue;
    }
    const total = (sum.avgMs ?? 0) * sum.count + (p.avgMs ?? 0) * p.count;
    sum.up += p.up;
    sum.down += p.down;
    sum.count += p.count;
    sum.avgMs = sum.count > 0 ? total / sum.count : null;
  }
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

function mergeSeriesByLocation(series: { monitorId: string; points: SeriesPoint[] }[], locationOf: Map<string, string>) {
  const byLocation = new Map<string, Map<number, SeriesPoint>>();
  for (const s of series) {
    const location = locationOf.get(s.monitorId) ?? 'deleted monitors';
    const points = byLocation.get(location) ?? new Map<number, SeriesPoint>();
    byLocation.set(location, points);
    for (const p of s.points) {
      const sum = points.get(p.t);
      if (!sum) {
        points.set(p.t, { ...p });
        continue;
      }
      const total = (sum.avg ?? 0) * sum.count + (p.avg ?? 0) * p.count;
      sum.count += p.count;
      sum.avg = sum.count > 0 ? total / sum.count : null;
      sum.min = sum.min === null ? p.min : p.min === null ? sum.min : Math.min(sum.min, p.min);
      sum.max = sum.max === null ? p.max : p.max === null ? sum.max : Math.max(sum.max, p.max);
      sum.up += p.up;
      sum.down += p.down;
    }
  }
  return [...byLocation.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([location, points]) => ({ location, points: [...points.values()].sort((a, b) => a.t - b.t) }));
}

type Summary = { id: string; monitorType: string; state: ServiceState; uptime: number | null; avgResponseMs: number | null };

function comparator(sort: SortKey, reverse: boolean): (a: Summary, b: Summary) => number {
  const byName = (a: Summary, b: Summary) => a.id.localeCompare(b.id);
  /** Nulls last whichever the direction. */
  const numeric = (pick: (s: Summary) => number | null) => (a: Summary, b: Summary) => {
    const x = pick(a);
    const y = pick(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    return reverse ? y - x : x - y;
  };
  const primary: (a: Summary, b: Summary) => number =
    sort === 'state'
      ? (a, b) => (reverse ? -1 : 1) * (SERVICE_STATES.indexOf(a.state) - SERVICE_STATES.indexOf(b.state))
      : sort === 'type'
        ? (a, b) => (reverse ? -1 : 1) * a.monitorType.localeCompare(b.monitorType)
        : sort === 'uptime'
          ? numeric((s) => s.uptime)
          : sort === 'response'
            ? numeric((s) => s.avgResponseMs)
            : (a, b) => (reverse ? -1 : 1) * byName(a, b);
  return (a, b) => primary(a, b) || byName(a, b);
}
