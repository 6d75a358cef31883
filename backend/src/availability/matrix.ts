/**
 * The availability matrix: every application × every location whose package
 * polls at least one of its services, each cell with its availability over
 * the window (availability.ts has the definitions) and its state now.
 *
 * Each location's timelines are read once and shared by its applications.
 * A monitor is not reporting during the configured disconnect timeout before
 * each of its disconnections (it had stopped checking in), nor while its own
 * connectivity is lost (reporting-periods.ts). A location in `distribute`
 * mode is one perspective like the others: each service is seen by the
 * monitor holding it (availability.ts).
 */
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import { computeAvailability, measuredWindow, stateOf, type AvailabilityWindow, type CellState } from './availability.ts';
import { loadLocationTimelines } from './reporting-periods.ts';

export type { CellState };

export interface MatrixCell {
  location: string;
  /** upMs / (upMs + downMs); null when no monitor of the location reported during the window. */
  availability: number | null;
  /** Share of the window (cut at now) during which some monitor of the location was reporting, 0..1. */
  coverage: number;
  upMs: number;
  downMs: number;
  noDataMs: number;
  /** Now (see stateOf in availability.ts). */
  state: CellState;
  /** The location is in `distribute` mode: its monitors split the services, one view of each. */
  distributed: boolean;
  /**
   * How many of its monitors check in but have lost their own connectivity now:
   * a location showing "no data" for this reason is not silent, its network is down.
   */
  ownNetworkDown: number;
}

export interface AvailabilityMatrix {
  window: {
    fromMs: number;
    toMs: number;
    nowMs: number;
    /** The window cut at now: what was measured. */
    measuredFromMs: number;
    measuredToMs: number;
  };
  applications: { name: string; cells: MatrixCell[] }[];
}

export const WINDOW_PRESETS = { '24h': 24 * 3_600_000, '7d': 7 * 24 * 3_600_000, '30d': 30 * 24 * 3_600_000 } as const;
export type WindowPreset = keyof typeof WINDOW_PRESETS;

/** The last 24 hours, 7 days or 30 days up to now. */
export function presetWindow(preset: WindowPreset, nowMs: number): AvailabilityWindow {
  return { fromMs: nowMs - WINDOW_PRESETS[preset], toMs: nowMs };
}

export interface MatrixOptions extends AvailabilityWindow {
  nowMs: number;
  /** Default: the configured disconnect timeout. */
  silenceBeforeDisconnectMs?: number;
  /** Default true. */
  connectivityLostIsNoData?: boolean;
}

export async function availabilityMatrix(db: Pick<Database, 'manager'>, configs: ConfigHolder, options: MatrixOptions): Promise<AvailabilityMatrix> {
  const { fromMs, toMs, nowMs } = options;
  if (![fromMs, toMs, nowMs].every(Number.isSafeInteger)) throw new RangeError('fromMs, toMs and nowMs must be whole numbers of milliseconds');
  if (fromMs >= toMs) throw new RangeError(`the window must end after it starts (from ${fromMs}, to ${toMs})`);
  const config = configs.config;
  const window = { fromMs, toMs };
  const measured = measuredWindow(window, nowMs);
  const applications = [...config.applications.values()];
  const locations = [...config.locations.keys()];

  // Which applications each location sees: those with a member its package polls.
  const seen = new Map<string, Set<string>>();
  for (const location of locations) {
    const polled = configs.packageFor(location)?.serviceIds;
    for (const application of applications) {
      if (!application.members.some((m) => polled?.has(m.serviceId))) continue;
      const names = seen.get(location) ?? new Set<string>();
      names.add(application.name);
      seen.set(location, names);
    }
  }

  const cells = new Map<string, MatrixCell[]>(applications.map((a) => [a.name, []]));
  for (const location of locations) {
    const names = seen.get(location);
    if (!names) continue;
    const relevant = applications.filter((a) => names.has(a.name));
    const distributed = configs.location(location)?.mode === 'distribute';
    const serviceIds = [...new Set(relevant.flatMap((a) => a.members.map((m) => m.serviceId)))];
    const timelines = await loadLocationTimelines(db, {
      location,
      window,
      nowMs,
      serviceIds,
      silenceBeforeDisconnectMs: options.silenceBeforeDisconnectMs ?? config.settings.disconnectTimeoutMs,
      connectivityLostIsNoData: options.connectivityLostIsNoData,
    });
    for (const application of relevant) {
      const members = [...new Set(application.members.map((m) => m.serviceId))];
      const result = computeAvailability({ window, nowMs, members, monitors: timelines.monitors, outages: timelines.outages, distributed });
      cells.get(application.name)!.push({
        location,
        availability: result.availability,
        coverage: result.coverage,
        upMs: result.upMs,
        downMs: result.downMs,
        noDataMs: result.noDataMs,
        state: stateOf(members, timelines.current, distributed),
        distributed,
        ownNetworkDown: timelines.current.filter((m) => m.ownNetworkDown).length,
      });
    }
  }
  return {
    window: { fromMs, toMs, nowMs, measuredFromMs: measured.startMs, measuredToMs: measured.endMs },
    applications: applications.map((a) => ({ name: a.name, cells: cells.get(a.name)! })),
  };
}
