/**
 * The downtime model, as OpenNMS's PollableServiceConfig applies it: a service
 * that stays down is polled less and less often, and may stop being polled.
 *
 * Time down is counted from the first DOWN result of the current down period
 * as this poller saw it, not from the backend's outage: each poller decides its
 * own schedule, and must keep deciding it while the backend is unreachable.
 */
import type { PolledService, ServiceStatus } from '@vantage/common';

/** How often to check a service for now, or not at all. */
export type EffectiveInterval = { intervalMs: number } | { suspended: true };

/**
 * OpenNMS's shipped default model: every 30 s for the first 5 minutes down,
 * every 5 minutes up to 12 hours, every 10 minutes up to 5 days, then hourly.
 */
export const DEFAULT_DOWNTIME_MODEL: NonNullable<PolledService['downtime']> = [
  { beginMs: 0, endMs: 300_000, intervalMs: 30_000 },
  { beginMs: 300_000, endMs: 43_200_000, intervalMs: 300_000 },
  { beginMs: 43_200_000, endMs: 432_000_000, intervalMs: 600_000 },
  { beginMs: 432_000_000, intervalMs: 3_600_000 },
];

/**
 * The interval in force for `service` once it has been down for `downForMs`
 * (null: it is not down). The first entry of its model, in configuration order,
 * with `beginMs <= downForMs < endMs` (no `endMs`: no upper bound) decides:
 * `delete` suspends the service, otherwise it is polled every `intervalMs`. No
 * such entry, no model, or not down: the service's own interval.
 */
export function effectiveInterval(service: PolledService, downForMs: number | null): EffectiveInterval {
  const normal = { intervalMs: service.intervalMs };
  if (downForMs === null || service.downtime === undefined) return normal;
  const entry = service.downtime.find((d) => d.beginMs <= downForMs && (d.endMs === undefined || downForMs < d.endMs));
  if (entry === undefined) return normal;
  if (entry.delete === true) return { suspended: true };
  // An entry with neither interval nor delete says nothing about the pace: the service's own applies.
  return { intervalMs: entry.intervalMs ?? service.intervalMs };
}

/**
 * Remembers when each service's current down period began, from the results
 * of this poller's checks, and turns that into the interval in force. Held in
 * memory only: after a restart every service starts again at its own interval,
 * as OpenNMS's poller does.
 */
export class DowntimeTracker {
  private readonly downSinceMs = new Map<string, number>();

  /**
   * Records one check result and returns the interval in force at `timestampMs`.
   * DOWN starts a down period unless one is under way, UP ends it, and UNKNOWN
   * (the check could not tell) leaves it as it is.
   */
  observe(service: PolledService, status: ServiceStatus, timestampMs: number): EffectiveInterval {
    const id = service.serviceId;
    if (status === 'DOWN') {
      if (!this.downSinceMs.has(id)) this.downSinceMs.set(id, timestampMs);
    } else if (status === 'UP') {
      this.downSinceMs.delete(id);
    }
    return this.effectiveAt(service, timestampMs);
  }

  /** The interval in force for `service` at `nowMs`, without recording anything. */
  effectiveAt(service: PolledService, nowMs: number): EffectiveInterval {
    const since = this.downSinceMs.get(service.serviceId);
    // Clamped: a wall clock set back must not make a service "down for" a negative time.
    return effectiveInterval(service, since === undefined ? null : Math.max(0, nowMs - since));
  }

  /** Forgets every service not in `serviceIds` (those no longer in the package). */
  retain(serviceIds: Iterable<string>): void {
    const keep = new Set(serviceIds);
    for (const id of this.downSinceMs.keys()) {
      if (!keep.has(id)) this.downSinceMs.delete(id);
    }
  }

  /** When the current down period of `serviceId` began; undefined if it is not down. */
  downSince(serviceId: string): number | undefined {
    return this.downSinceMs.get(serviceId);
  }

  /** Number of services down now. */
  get size(): number {
    return this.downSinceMs.size;
  }
}
