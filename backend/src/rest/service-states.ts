/**
 * A service's state as seen from one location, and across locations, in the
 * words operators use: up, down, partial (some of the location's monitors
 * see it down), and, when no monitor of the location is checking it, why
 * not: paused (an administrator paused them), stopped (their pollers shut
 * down), disconnected (they stopped checking in), no data (nothing else to
 * say: no monitor yet, or no result yet). Pure: the routes gather the rows.
 */
export type ServiceState = 'up' | 'partial' | 'down' | 'paused' | 'stopped' | 'disconnected' | 'no data';

export const SERVICE_STATES: readonly ServiceState[] = ['down', 'partial', 'disconnected', 'stopped', 'paused', 'no data', 'up'];

/** A monitor of the location, with what it last saw of the service (if anything). */
export interface MonitorView {
  /** As the REST API shows it (wireStatus): STARTED, PAUSED, STOPPED, DISCONNECTED, REGISTERED, … */
  status: string;
  /** What it last saw of the service; null before its first result. */
  seen: { status: 'UP' | 'DOWN'; lastResultAt: number } | null;
}

/**
 * `distributed`: the location's monitors split the services, so the newest
 * result among its checking monitors is the location's view (one monitor
 * holds the service at a time).
 */
export function locationState(monitors: readonly MonitorView[], distributed: boolean): ServiceState {
  const checking = monitors.filter((m) => m.status === 'STARTED');
  if (checking.length === 0) {
    if (monitors.length === 0) return 'no data';
    if (monitors.every((m) => m.status === 'PAUSED')) return 'paused';
    if (monitors.some((m) => m.status === 'DISCONNECTED')) return 'disconnected';
    if (monitors.some((m) => m.status === 'STOPPED')) return 'stopped';
    if (monitors.some((m) => m.status === 'PAUSED')) return 'paused';
    return 'no data';
  }
  const seen = checking.flatMap((m) => (m.seen ? [m.seen] : []));
  if (seen.length === 0) return 'no data';
  if (distributed) return seen.reduce((a, b) => (b.lastResultAt > a.lastResultAt ? b : a)).status === 'DOWN' ? 'down' : 'up';
  const down = seen.filter((s) => s.status === 'DOWN').length;
  return down === 0 ? 'up' : down === seen.length ? 'down' : 'partial';
}

/**
 * The service across its locations: down when every location that sees it
 * sees it down, partial when some do, up when all see it up; when none sees
 * it, the reason they share (paused, stopped, disconnected), else no data.
 */
export function overallState(states: readonly ServiceState[]): ServiceState {
  const seeing = states.filter((s) => s === 'up' || s === 'down' || s === 'partial');
  if (seeing.length > 0) {
    if (seeing.every((s) => s === 'down')) return 'down';
    if (seeing.some((s) => s !== 'up')) return 'partial';
    return 'up';
  }
  for (const reason of ['disconnected', 'stopped', 'paused'] as const) if (states.length > 0 && states.every((s) => s === reason)) return reason;
  return 'no data';
}

/**
 * One period of a status history as a letter: u (only up), d (only down),
 * p (both), - (no result). Compact: a few hundred services × 48 periods.
 */
export function periodLetter(up: number, down: number): 'u' | 'd' | 'p' | '-' {
  if (up === 0 && down === 0) return '-';
  if (down === 0) return 'u';
  return up === 0 ? 'd' : 'p';
}
