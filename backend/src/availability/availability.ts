/**
 * Availability of an application at one location, over a window. Pure: the
 * inputs are timelines (see reporting-periods.ts for where they come from).
 *
 * Definitions, at an instant t:
 * - A monitor is *reporting* when it is started and checking in: not paused,
 *   stopped, disconnected (nor, by default, with its own connectivity lost;
 *   see reporting-periods.ts). Its reporting intervals are an input.
 * - A monitor *sees a service down* when it is reporting and has an outage of
 *   that service covering t. An outage covers [startedAt, endedAt); an open
 *   one (endedAt null) runs to nowMs. Outages while the monitor is not
 *   reporting say nothing.
 * - The location *sees a service down* when at least one of its monitors is
 *   reporting and every reporting monitor sees it down: a monitor that still
 *   reaches the service means the location does. This is the rule of
 *   correlation (correlation/application-state.ts). A reporting monitor that
 *   has no outage of the service sees it up (services are up until seen down).
 * - The application is *down* at the location when any of its member
 *   services is down there, and *up* when at least one monitor is reporting
 *   and none of its services is down there.
 * - *No data* when no monitor of the location is reporting. No data is
 *   neither up nor down: it is left out of the share and reported as coverage.
 *
 * Over a window [fromMs, toMs):
 * - The future is not part of the window: the window is cut at nowMs, so a
 *   window reaching past now is measured as [fromMs, min(toMs, nowMs)), and
 *   everything (reporting, outages) is clipped to that.
 * - availability = upMs / coveredMs, where coveredMs = upMs + downMs is the
 *   time some monitor was reporting; null when coveredMs is 0.
 * - coverage = coveredMs / (length of the window cut at now); 0 when that
 *   length is 0 (a window wholly in the future).
 * - noDataMs = that length − coveredMs.
 *
 * Services the location does not poll have no outages there, so they never
 * count as down.
 *
 * That is the `replicate` mode, where every monitor polls every service of
 * the location. In `distribute` mode (input `distributed`) the monitors split
 * the services, and the location is still one perspective: at each instant a
 * service is held by one *member* (a monitor started and not paused), the
 * one ranked highest for it by rendezvous hashing among the members of that
 * instant, as the packages were split; the location sees the service down
 * when its holder is reporting and has an outage of it. A service whose
 * holder is not reporting (its connectivity lost, or the silence before it
 * was declared disconnected, after which its services move) is not seen
 * down. Coverage is as in `replicate`: some monitor of the location reporting.
 */
import { hashKey, outranks, weightOf } from '../packages/rendezvous.ts';
import { clip, contains, intersect, normalize, subtract, totalMs, union, type Interval } from './timeline.ts';

export interface AvailabilityWindow {
  fromMs: number;
  /** Exclusive. */
  toMs: number;
}

export interface MonitorTimeline {
  monitorId: string;
  /** When the monitor was reporting (any order; overlaps allowed). */
  reporting: readonly Interval[];
  /**
   * `distribute` only: when it was a member (started, not paused), holding
   * its share whether reporting or not. Default: when it was reporting.
   */
  member?: readonly Interval[];
}

export interface OutageSpan {
  monitorId: string;
  serviceId: string;
  startedAt: number;
  /** Null while the outage is open: it runs to nowMs. */
  endedAt: number | null;
}

export interface AvailabilityInput {
  window: AvailabilityWindow;
  nowMs: number;
  /** The application's member services (service ids). */
  members: readonly string[];
  /** Every monitor of ONE location. Outages of monitors not listed here are ignored. */
  monitors: readonly MonitorTimeline[];
  /** Outages seen from that location; those of services that are not members are ignored. */
  outages: readonly OutageSpan[];
  /** The location is in `distribute` mode: each service is seen by the member holding it. */
  distributed?: boolean;
}

export interface Availability {
  /** upMs / coveredMs; null when no monitor was reporting at any time in the window. */
  availability: number | null;
  /** The window cut at nowMs. */
  measuredFromMs: number;
  measuredToMs: number;
  coveredMs: number;
  upMs: number;
  downMs: number;
  noDataMs: number;
  /** coveredMs / (measuredToMs − measuredFromMs), 0..1; 0 when that length is 0. */
  coverage: number;
  /** When the application was down at the location, merged. */
  downIntervals: Interval[];
  /** When no monitor of the location was reporting, merged. */
  noDataIntervals: Interval[];
}

/** The window cut at now: [fromMs, min(toMs, nowMs)), empty when it starts at or after now. */
export function measuredWindow(window: AvailabilityWindow, nowMs: number): Interval {
  const endMs = Math.min(window.toMs, nowMs);
  return { startMs: window.fromMs, endMs: Math.max(window.fromMs, endMs) };
}

/** Where the application is down at the location, and where the location has coverage, within `measured`. */
function downAndCovered(input: AvailabilityInput, measured: Interval): { down: Interval[]; covered: Interval[] } {
  const { startMs, endMs } = measured;
  const reporting = new Map<string, Interval[]>();
  for (const m of input.monitors) {
    reporting.set(m.monitorId, union(reporting.get(m.monitorId) ?? [], clip(m.reporting, startMs, endMs)));
  }
  const covered = union(...reporting.values());

  // Outage intervals per monitor and service, clipped to the measured window.
  const outages = new Map<string, Map<string, Interval[]>>();
  const members = new Set(input.members);
  for (const o of input.outages) {
    if (!members.has(o.serviceId) || !reporting.has(o.monitorId)) continue;
    const span = { startMs: Math.max(o.startedAt, startMs), endMs: Math.min(o.endedAt ?? input.nowMs, endMs) };
    if (span.endMs <= span.startMs) continue;
    const byService = outages.get(o.monitorId) ?? new Map<string, Interval[]>();
    outages.set(o.monitorId, byService);
    byService.set(o.serviceId, [...(byService.get(o.serviceId) ?? []), span]);
  }

  if (input.distributed) {
    const membership = new Map(input.monitors.map((m) => [m.monitorId, clip(m.member ?? m.reporting, startMs, endMs)]));
    const downByService = [...members].map((serviceId) => {
      // Walk the monitors from the highest-ranked for the service down: each holds it while a member and no higher one is.
      let taken: Interval[] = [];
      const down: Interval[][] = [];
      for (const monitorId of ranked(serviceId, [...reporting.keys()])) {
        const member = membership.get(monitorId) ?? [];
        const holding = subtract(member, taken);
        down.push(intersect(intersect(holding, reporting.get(monitorId)!), outages.get(monitorId)?.get(serviceId) ?? []));
        taken = union(taken, member);
      }
      return union(...down);
    });
    return { down: union(...downByService), covered };
  }

  const downByService = [...members].map((serviceId) => {
    // Where some reporting monitor still sees the service up: reporting, minus its outages of it.
    const seenUp = union(...[...reporting].map(([monitorId, r]) => subtract(r, outages.get(monitorId)?.get(serviceId) ?? [])));
    return subtract(covered, seenUp);
  });
  return { down: union(...downByService), covered };
}

/** Monitor ids from the highest-ranked for the service to the lowest (rendezvous weights, as the packages are split). */
function ranked(serviceId: string, monitorIds: readonly string[]): string[] {
  const serviceHash = hashKey(serviceId);
  const weighed = monitorIds.map((id) => ({ id, weight: weightOf(serviceHash, hashKey(id)) }));
  return weighed.sort((a, b) => (outranks(a, b) ? -1 : outranks(b, a) ? 1 : 0)).map((m) => m.id);
}

export function computeAvailability(input: AvailabilityInput): Availability {
  const measured = measuredWindow(input.window, input.nowMs);
  const windowMs = measured.endMs - measured.startMs;
  const { down, covered } = downAndCovered(input, measured);
  const coveredMs = totalMs(covered);
  const downMs = totalMs(down);
  const upMs = coveredMs - downMs;
  return {
    availability: coveredMs > 0 ? upMs / coveredMs : null,
    measuredFromMs: measured.startMs,
    measuredToMs: measured.endMs,
    coveredMs,
    upMs,
    downMs,
    noDataMs: windowMs - coveredMs,
    coverage: windowMs > 0 ? coveredMs / windowMs : 0,
    downIntervals: down,
    noDataIntervals: subtract(windowMs > 0 ? [measured] : [], covered),
  };
}

/**
 * The state of an application at a location at one instant:
 * - `no data`: no monitor of the location is reporting;
 * - `down`: the application is down there, that is at least one member
 *   service is seen down by every reporting monitor (one service is enough:
 *   the application as a whole is down when any of its services is);
 * - `partial`: not down, but at least one reporting monitor sees at least
 *   one member service down; the location's monitors disagree, and for each
 *   service some monitor still reaches it (monitor A seeing only S1 down and
 *   monitor B seeing only S2 down is partial, not down);
 * - `up`: some monitor is reporting and none sees a member service down.
 * In `distribute` mode each service has one view, its holder's: `down` when
 * the holder of a member service is reporting and sees it down, else `up`
 * (never `partial`: nobody else polls the service to disagree).
 */
export type CellState = 'up' | 'partial' | 'down' | 'no data';

export interface MonitorSnapshot {
  monitorId: string;
  reporting: boolean;
  /** `distribute` only: a member now (started, not paused), holding its share. Default: `reporting`. */
  member?: boolean;
  /** The services this monitor has an open outage of. */
  downServices: readonly string[];
  /**
   * Started and unpaused, but its own connectivity is lost: it checks in, and
   * what it sees is its own network, not the services (correlation/connectivity.ts).
   */
  ownNetworkDown?: boolean;
}

export function stateOf(members: readonly string[], monitors: readonly MonitorSnapshot[], distributed = false): CellState {
  const reporting = monitors.filter((m) => m.reporting);
  if (reporting.length === 0) return 'no data';
  if (distributed) {
    const memberMonitors = monitors.filter((m) => m.member ?? m.reporting);
    const byId = new Map(memberMonitors.map((m) => [m.monitorId, m]));
    const seenDown = members.some((serviceId) => {
      const holder = byId.get(ranked(serviceId, [...byId.keys()])[0] ?? '');
      return holder !== undefined && holder.reporting && holder.downServices.includes(serviceId);
    });
    return seenDown ? 'down' : 'up';
  }
  const sees = reporting.map((m) => new Set(m.downServices));
  if (members.some((s) => sees.every((down) => down.has(s)))) return 'down';
  if (members.some((s) => sees.some((down) => down.has(s)))) return 'partial';
  return 'up';
}

/** The state at one instant from the same timelines computeAvailability uses (for instants before nowMs). */
export function stateAt(input: Omit<AvailabilityInput, 'window'>, instantMs: number): CellState {
  return stateOf(
    input.members,
    input.monitors.map((m) => ({
      monitorId: m.monitorId,
      reporting: contains(normalize(m.reporting), instantMs),
      member: contains(normalize(m.member ?? m.reporting), instantMs),
      downServices: input.outages
        .filter((o) => o.monitorId === m.monitorId && o.startedAt <= instantMs && instantMs < (o.endedAt ?? input.nowMs))
        .map((o) => o.serviceId),
    })),
    input.distributed,
  );
}

export type { Interval };
