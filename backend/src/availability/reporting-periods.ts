/**
 * When each location monitor was *reporting*, derived from its lifecycle
 * events, and the loader that reads a location's timelines from the database.
 *
 * A monitor's state has three independent parts (location-monitors/monitor-state.ts):
 * - running: locationMonitorStarted and locationMonitorReconnected make it
 *   running; locationMonitorStopped, locationMonitorDisconnected and
 *   locationMonitorRegistered (a new monitor) make it not running;
 * - paused: locationMonitorPaused sets it; locationMonitorStarted with
 *   params.reason "resumed by an administrator" (how a resume is recorded)
 *   clears it and says nothing about running (a stopped monitor can be
 *   resumed), while a plain locationMonitorStarted leaves it as it was (a
 *   paused poller that restarts is started and still paused);
 * - connectivity lost: monitorConnectivityLost sets it,
 *   monitorConnectivityRestored clears it.
 * It is reporting when running, not paused and (by default) its connectivity
 * is not lost: correlation ignores such a monitor too, since what it sees
 * then is its own network, not the services.
 *
 * Two things raise no event and are passed in instead: deletion (a deleted
 * monitor reports no more after `endMs`; the loader uses its last check-in),
 * and the silence before a disconnection: the backend declares a monitor
 * disconnected when it has not checked in for the disconnect timeout, so
 * the `silenceBeforeDisconnectMs` before each locationMonitorDisconnected
 * are not reporting either (the loader uses the configured disconnect
 * timeout). Each part of the state is set by its last event, so the state
 * at the start of a window follows from the last event of each kind before it.
 */
import { Uei } from '@vantage/common';
import type { ApplicationDefinition } from '../config/polling-config.ts';
import type { Database } from '../db/database.ts';
import { measuredWindow, type AvailabilityInput, type AvailabilityWindow, type MonitorSnapshot, type MonitorTimeline, type OutageSpan } from './availability.ts';
import { clip, normalize, subtract, type Interval } from './timeline.ts';

/** The params.reason of the locationMonitorStarted that records a resume. */
export const RESUMED_REASON = 'resumed by an administrator';

export interface LifecycleEvent {
  time: number;
  uei: string;
  params?: Readonly<Record<string, string>> | null;
}

export interface MonitorPhase {
  running: boolean;
  paused: boolean;
  connectivityLost: boolean;
}

/** A monitor before its first event: registered at most, not running. */
export const NOT_STARTED: MonitorPhase = { running: false, paused: false, connectivityLost: false };

/** The UEIs that change whether a monitor is reporting. */
export const LIFECYCLE_UEIS: readonly string[] = [
  Uei.locationMonitorRegistered,
  Uei.locationMonitorStarted,
  Uei.locationMonitorPaused,
  Uei.locationMonitorStopped,
  Uei.locationMonitorDisconnected,
  Uei.locationMonitorReconnected,
  Uei.monitorConnectivityLost,
  Uei.monitorConnectivityRestored,
  Uei.monitorCredentialsRevoked,
];

export function isResume(event: LifecycleEvent): boolean {
  return event.uei === Uei.locationMonitorStarted && event.params?.reason === RESUMED_REASON;
}

export function nextPhase(phase: MonitorPhase, event: LifecycleEvent): MonitorPhase {
  switch (event.uei) {
    case Uei.locationMonitorRegistered:
      return { ...NOT_STARTED };
    case Uei.locationMonitorStarted:
      return isResume(event) ? { ...phase, paused: false } : { ...phase, running: true };
    case Uei.locationMonitorReconnected:
      return { ...phase, running: true };
    case Uei.locationMonitorStopped:
    case Uei.locationMonitorDisconnected:
    case Uei.monitorCredentialsRevoked:
      return { ...phase, running: false };
    case Uei.locationMonitorPaused:
      return { ...phase, paused: true };
    case Uei.monitorConnectivityLost:
      return { ...phase, connectivityLost: true };
    case Uei.monitorConnectivityRestored:
      return { ...phase, connectivityLost: false };
    default:
      return phase;
  }
}

export function isReporting(phase: MonitorPhase, connectivityLostIsNoData = true): boolean {
  return phase.running && !phase.paused && !(connectivityLostIsNoData && phase.connectivityLost);
}

export interface ReportingOptions {
  /**
   * The state before the first event given; `true`/`false` for simply
   * reporting or not. Default NOT_STARTED. Events before the window may be
   * given instead (or as well): they only set the state.
   */
  initial?: MonitorPhase | boolean;
  /** The monitor reports nothing from here on, whatever its events say (it was deleted). */
  endMs?: number | null;
  /** Not reporting during this long before each locationMonitorDisconnected. Default 0. */
  silenceBeforeDisconnectMs?: number;
  /** Whether connectivity lost counts as not reporting. Default true. */
  connectivityLostIsNoData?: boolean;
}

/**
 * When the monitor was reporting within [fromMs, toMs), from its lifecycle
 * events in time order (events at the same instant keep their order, as
 * stored). Events at or after toMs change nothing, except that a
 * disconnection shortly after the window cuts its silence out of it.
 */
export function reportingIntervals(events: readonly LifecycleEvent[], window: AvailabilityWindow, options: ReportingOptions = {}): Interval[] {
  const { fromMs, toMs } = window;
  const connectivityLostIsNoData = options.connectivityLostIsNoData ?? true;
  const initial = options.initial ?? NOT_STARTED;
  let phase: MonitorPhase = typeof initial === 'boolean' ? { ...NOT_STARTED, running: initial } : initial;
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => a.e.time - b.e.time || a.i - b.i);

  const reporting = () => isReporting(phase, connectivityLostIsNoData);
  let i = 0;
  for (; i < ordered.length && ordered[i]!.e.time < fromMs; i++) phase = nextPhase(phase, ordered[i]!.e);
  const intervals: Interval[] = [];
  let since = reporting() ? fromMs : null;
  for (; i < ordered.length && ordered[i]!.e.time < toMs; i++) {
    const { e } = ordered[i]!;
    phase = nextPhase(phase, e);
    if (reporting() && since === null) since = e.time;
    if (!reporting() && since !== null) {
      intervals.push({ startMs: since, endMs: e.time });
      since = null;
    }
  }
  if (since !== null) intervals.push({ startMs: since, endMs: toMs });

  const silence = options.silenceBeforeDisconnectMs ?? 0;
  const silent =
    silence > 0
      ? ordered.filter(({ e }) => e.uei === Uei.locationMonitorDisconnected).map(({ e }) => ({ startMs: e.time - silence, endMs: e.time }))
      : [];
  const gone = options.endMs !== undefined && options.endMs !== null ? [{ startMs: options.endMs, endMs: Math.max(options.endMs, toMs) }] : [];
  return clip(subtract(normalize(intervals), [...silent, ...gone]), fromMs, toMs);
}

// ---- loading from the database ----

export interface LoadOptions {
  location: string;
  window: AvailabilityWindow;
  nowMs: number;
  /** Default 0; the matrix passes the configured disconnect timeout. */
  silenceBeforeDisconnectMs?: number;
  /** Default true. */
  connectivityLostIsNoData?: boolean;
  /** The location is in `distribute` mode (see availability.ts); passed on to computeAvailability. */
  distributed?: boolean;
}

export interface LocationTimelines {
  monitors: MonitorTimeline[];
  /** Outages of the requested services overlapping the window (cut at now). */
  outages: OutageSpan[];
  /** Each monitor now, from its row and its open outages (what correlation sees). */
  current: MonitorSnapshot[];
}

type Queryable = Pick<Database, 'manager'>;

interface MonitorDbRow {
  id: string;
  lifecycle: string;
  paused: boolean;
  connectivityLost: boolean;
  registeredAt: string | number;
  lastCheckInAt: string | number | null;
}

interface EventDbRow {
  monitorId: string;
  time: string | number;
  uei: string;
  params: Record<string, string> | string | null;
}

interface OutageDbRow {
  monitorId: string;
  serviceId: string;
  startedAt: string | number;
  endedAt: string | number | null;
}

/** `$first, …` for a list of query parameters. */
function placeholders(count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
}

function paramsOf(value: EventDbRow['params']): Record<string, string> {
  if (value === null) return {};
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, string>) : value;
}

/** Every monitor of a location with its reporting intervals in the window, the outages of `serviceIds`, and the state now. */
export async function loadLocationTimelines(db: Queryable, options: LoadOptions & { serviceIds: readonly string[] }): Promise<LocationTimelines> {
  const { location, nowMs } = options;
  const measured = measuredWindow(options.window, nowMs);
  const silence = options.silenceBeforeDisconnectMs ?? 0;
  const connectivityLostIsNoData = options.connectivityLostIsNoData ?? true;
  const manager = db.manager;

  const monitorRows = (await manager.query(
    `SELECT id, lifecycle, paused, connectivity_lost AS "connectivityLost", registered_at AS "registeredAt", last_check_in_at AS "lastCheckInAt"
       FROM location_monitor WHERE location = $1 ORDER BY id`,
    [location],
  )) as MonitorDbRow[];

  const ueiList = placeholders(LIFECYCLE_UEIS.length, 5);
  // The last event of each part of the state before the window (each part is set by its last event) …
  const before = (await manager.query(
    `SELECT b."monitorId", b."time", b.uei, b.params FROM (
        SELECT e.monitor_id AS "monitorId", e.time, e.id, e.uei, e.params,
               ROW_NUMBER() OVER (
                 PARTITION BY e.monitor_id,
                   CASE WHEN e.uei = $2 OR (e.uei = $3 AND e.params->>'reason' = $4) THEN 'paused'
                        WHEN e.uei IN ($${5 + LIFECYCLE_UEIS.length}, $${6 + LIFECYCLE_UEIS.length}) THEN 'connectivity'
                        ELSE 'running' END
                 ORDER BY e.time DESC, e.id DESC) AS rn
          FROM event e
         WHERE e.monitor_id IN (SELECT id FROM location_monitor WHERE location = $1)
           AND e.uei IN (${ueiList}) AND e.time < $${7 + LIFECYCLE_UEIS.length}
      ) b WHERE b.rn = 1
      ORDER BY b."time", b.id`,
    [
      location,
      Uei.locationMonitorPaused,
      Uei.locationMonitorStarted,
      RESUMED_REASON,
      ...LIFECYCLE_UEIS,
      Uei.monitorConnectivityLost,
      Uei.monitorConnectivityRestored,
      measured.startMs,
    ],
  )) as EventDbRow[];
  // … then every event in it (and disconnections just after it, for their silence).
  const within = (await manager.query(
    `SELECT e.monitor_id AS "monitorId", e.time, e.uei, e.params
       FROM event e
      WHERE e.monitor_id IN (SELECT id FROM location_monitor WHERE location = $1)
        AND e.uei IN (${placeholders(LIFECYCLE_UEIS.length, 4)}) AND e.time >= $2 AND e.time < $3
      ORDER BY e.time, e.id`,
    [location, measured.startMs, measured.endMs + silence, ...LIFECYCLE_UEIS],
  )) as EventDbRow[];

  const eventsByMonitor = new Map<string, LifecycleEvent[]>();
  for (const row of [...before, ...within]) {
    const list = eventsByMonitor.get(row.monitorId) ?? [];
    list.push({ time: Number(row.time), uei: row.uei, params: paramsOf(row.params) });
    eventsByMonitor.set(row.monitorId, list);
  }

  const monitors: MonitorTimeline[] = monitorRows.map((m) => {
    const events = eventsByMonitor.get(m.id) ?? [];
    const window = { fromMs: measured.startMs, toMs: measured.endMs };
    // Deletion raises no event; a deleted monitor checks in no more, so its last check-in ends it.
    const endMs = m.lifecycle === 'DELETED' ? Number(m.lastCheckInAt ?? m.registeredAt) : null;
    return {
      monitorId: m.id,
      reporting: reportingIntervals(events, window, { silenceBeforeDisconnectMs: silence, connectivityLostIsNoData, endMs }),
      // Started and not paused, whatever its connectivity and silence: what a `distribute` location splits its services by.
      member: reportingIntervals(events, window, { connectivityLostIsNoData: false, endMs }),
    };
  });

  let outages: OutageSpan[] = [];
  let open: OutageDbRow[] = [];
  if (options.serviceIds.length > 0) {
    const services = placeholders(options.serviceIds.length, 4);
    const rows = (await manager.query(
      `SELECT monitor_id AS "monitorId", service_id AS "serviceId", started_at AS "startedAt", ended_at AS "endedAt"
         FROM outage
        WHERE location = $1 AND started_at < $3 AND (ended_at IS NULL OR ended_at > $2) AND service_id IN (${services})
        ORDER BY started_at, id`,
      [location, measured.startMs, measured.endMs, ...options.serviceIds],
    )) as OutageDbRow[];
    outages = rows.map((o) => ({
      monitorId: o.monitorId,
      serviceId: o.serviceId,
      startedAt: Number(o.startedAt),
      endedAt: o.endedAt === null ? null : Number(o.endedAt),
    }));
    open = (await manager.query(
      `SELECT monitor_id AS "monitorId", service_id AS "serviceId", started_at AS "startedAt", ended_at AS "endedAt"
         FROM outage WHERE location = $1 AND ended_at IS NULL AND service_id IN (${placeholders(options.serviceIds.length, 2)})`,
      [location, ...options.serviceIds],
    )) as OutageDbRow[];
  }

  const current: MonitorSnapshot[] = monitorRows.map((m) => ({
    monitorId: m.id,
    reporting: m.lifecycle === 'STARTED' && !m.paused && !(connectivityLostIsNoData && m.connectivityLost),
    member: m.lifecycle === 'STARTED' && !m.paused,
    downServices: open.filter((o) => o.monitorId === m.id).map((o) => o.serviceId),
    ownNetworkDown: m.lifecycle === 'STARTED' && !m.paused && m.connectivityLost,
  }));
  return { monitors, outages, current };
}

/** The inputs of computeAvailability for one application at one location, and each monitor's state now. */
export async function loadAvailabilityInputs(
  db: Queryable,
  options: LoadOptions & { application: ApplicationDefinition },
): Promise<AvailabilityInput & { current: MonitorSnapshot[] }> {
  const members = [...new Set(options.application.members.map((m) => m.serviceId))];
  const timelines = await loadLocationTimelines(db, { ...options, serviceIds: members });
  return { window: options.window, nowMs: options.nowMs, members, distributed: options.distributed ?? false, ...timelines };
}
