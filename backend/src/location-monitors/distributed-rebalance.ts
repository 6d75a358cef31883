/**
 * What follows a change of a `distribute` location's members (a monitor
 * started, stopped, paused, resumed, was deleted or disconnected), a reload,
 * and a backend start:
 *
 * - The hand-off: a monitor keeps no service state for services it no
 *   longer holds. Its open outages of them end now, its lost-service alarms
 *   of them clear ("moved to another monitor of the location"), and their
 *   service_state rows go, so the location's view of each service is its
 *   holder's alone (the holder starts from "up until seen otherwise" and
 *   announces what it finds). A member that leaves hands off everything.
 * - The minimum online: below the location's min-online, an alarm
 *   (locationBelowMinimumOnline), cleared when it has enough members again.
 * - Hints: every member still connected here gets configurationChanged with
 *   its share's version and checks in at once; the others learn it at their
 *   next check-in (CONFIG_CHANGED), within one check-in interval either way.
 *
 * Rebalances of one location take turns under a PostgreSQL advisory lock and
 * read the membership after taking it, so the last one sees every change
 * committed before it; each is idempotent, so one that was missed (a backend
 * killed between a lifecycle change and its rebalance) is made up by the next
 * one of the location, or by the rebalance of every location at start.
 * It locks the location's monitor rows (in id order) before it touches their
 * state: an ingest in flight for one of them finishes first, and any ingest
 * after it reads the new membership.
 */
import { Uei, type UeiValue } from '@vantage/common';
import { alarmActionFor, type EventBus, type NewEvent } from '@vantage/events';
import type { Logger } from '@vantage/runtime';
import { IsNull, type EntityManager } from 'typeorm';
import { clearAlarms, lostServiceKey } from '../alarms/alarm-store.ts';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import { AlarmEntity, type LifecycleState } from '../db/entities.ts';
import type { EventRecorder } from '../event-store/event-recorder.ts';
import type { Split } from '../packages/distribute.ts';
import { isMember } from '../packages/membership.ts';
import type { PollerNotifier } from './location-monitor-service.ts';

/** The first key of the advisory lock a location's rebalances take turns under (the second is the hash of its name): "VDST". */
export const REBALANCE_LOCK_CLASS = 0x56445354;

/** The reason stored on a lost-service alarm cleared by a hand-off. */
export const HANDED_OFF_REASON = 'the service moved to another monitor of the location, which polls it from now on';

export interface RebalanceOutcome {
  location: string;
  members: readonly string[];
  /** Service states removed from monitors that no longer hold them. */
  handedOff: number;
}

interface MonitorDbRow {
  id: string;
  name: string;
  lifecycle: LifecycleState;
  paused: boolean;
}

interface StateDbRow {
  serviceId: string;
  status: string;
  eventStatus: string;
}

export class DistributedRebalance {
  private readonly running = new Set<Promise<unknown>>();
  /** Each location's mode and min-online as last rebalanced, so that a reload rebalances only where they changed. */
  private readonly settled = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly configs: ConfigHolder,
    private readonly recorder: EventRecorder,
    private readonly bus: EventBus,
    private readonly notifier: PollerNotifier,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Rebalances one location (nothing for a `replicate` one). Never rejects:
   * a failure is logged, and a later rebalance of the location makes it up.
   */
  rebalance(location: string): Promise<RebalanceOutcome | null> {
    if (this.configs.location(location)?.mode !== 'distribute') return Promise.resolve(null);
    return this.track(location);
  }

  private track(location: string): Promise<RebalanceOutcome | null> {
    return this.tracked(
      this.run(location).catch((err: unknown) => {
        this.log.error(`rebalancing location "${location}" failed (the next change of its monitors, or a backend start, does it again): ${String(err)}`);
        return null;
      }),
    );
  }

  /** Keeps a promise that never rejects among those idle() waits for. */
  private tracked<T>(done: Promise<T>): Promise<T> {
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
    return done;
  }

  /**
   * Every `distribute` location (at start), or after a reload only those
   * whose mode or min-online changed: a location that turns to `distribute`
   * hands off what each monitor no longer polls. A change of the services
   * moves no other service, so it needs no rebalance.
   */
  rebalanceAll(options: { onlyChanged?: boolean } = {}): Promise<void> {
    return this.tracked(this.rebalanceEach(options));
  }

  private async rebalanceEach(options: { onlyChanged?: boolean }): Promise<void> {
    for (const location of this.configs.config.locations.values()) {
      const settings = `${location.mode} ${location.minOnline ?? ''}`;
      const changed = this.settled.get(location.name) !== settings;
      this.settled.set(location.name, settings);
      // A location that left `distribute` mode runs once more, to clear its below-minimum alarm.
      if (options.onlyChanged ? !changed : location.mode !== 'distribute') continue;
      await this.track(location.name);
    }
  }

  /** Resolves once the rebalances under way have finished (before the database closes). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async run(location: string): Promise<RebalanceOutcome | null> {
    const definition = this.configs.location(location);
    if (!definition) return null;
    const shares = this.configs.packageFor(location)?.shares;
    if (!shares) {
      // Not (or no longer) distributed: nothing to hand off, and no minimum to keep.
      const events = await this.db.transaction(async (manager) => this.recorder.record(manager, await this.minimumOnline(manager, location, undefined, 0)));
      this.bus.publish(events);
      return null;
    }
    const { split, handedOff, events } = await this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REBALANCE_LOCK_CLASS, location]);
      // Locked in id order, as every other multi-row lock of monitors would be.
      const monitors = (await manager.query(`SELECT id, name, lifecycle, paused FROM location_monitor WHERE location = $1 ORDER BY id FOR UPDATE`, [
        location,
      ])) as MonitorDbRow[];
      const split = shares.splitFor(monitors.filter(isMember).map((m) => m.id));
      let handedOff = 0;
      for (const monitor of monitors) handedOff += await this.handOff(manager, monitor, split);
      const events = await this.recorder.record(manager, await this.minimumOnline(manager, location, definition.minOnline, split.members.length));
      return { split, handedOff, events };
    });
    this.bus.publish(events);
    for (const member of split.members) this.notifier.notify(member, 'configurationChanged', { version: split.shareOf(member).version });
    if (handedOff > 0) this.log.info(`location "${location}": ${handedOff} service states handed off; ${split.members.length} monitors share ${describeSizes(split)}`);
    return { location, members: split.members, handedOff };
  }

  /** Ends what a monitor holds of services it no longer polls; returns how many services it let go. */
  private async handOff(manager: EntityManager, monitor: MonitorDbRow, split: Split): Promise<number> {
    const states = (await manager.query(
      `SELECT service_id AS "serviceId", status, event_status AS "eventStatus" FROM service_state WHERE monitor_id = $1`,
      [monitor.id],
    )) as StateDbRow[];
    const moved = states.filter((s) => split.holderOf(s.serviceId) !== monitor.id);
    if (moved.length === 0) return 0;
    const nowMs = this.now();
    const down = moved.filter((s) => s.status === 'DOWN').map((s) => s.serviceId);
    if (down.length > 0) {
      await manager.query(`UPDATE outage SET ended_at = $3 WHERE monitor_id = $1 AND service_id = ANY($2) AND ended_at IS NULL`, [monitor.id, down, nowMs]);
    }
    const announced = moved.filter((s) => s.eventStatus === 'DOWN');
    await clearAlarms(manager, announced.map((s) => lostServiceKey(monitor.id, s.serviceId)), nowMs, HANDED_OFF_REASON);
    await manager.query(`DELETE FROM service_state WHERE monitor_id = $1 AND service_id = ANY($2)`, [monitor.id, moved.map((s) => s.serviceId)]);
    return moved.length;
  }

  /** The events that raise or clear the location's below-minimum alarm, if its state changes. */
  private async minimumOnline(manager: EntityManager, location: string, minOnline: number | undefined, online: number): Promise<NewEvent[]> {
    const key = alarmActionFor({ uei: Uei.locationBelowMinimumOnline, monitorId: null, serviceId: null, location, params: {} })!.reductionKey;
    const raised = (await manager.countBy(AlarmEntity, { reductionKey: key, clearedAt: IsNull() })) > 0;
    const below = minOnline !== undefined && online < minOnline;
    if (below === raised) return [];
    const params = { online: String(online), minOnline: String(minOnline ?? 0) };
    const event = (uei: UeiValue, reason: string): NewEvent => ({ uei, time: this.now(), location, monitorId: null, params: { ...params, reason } });
    return below
      ? [event(Uei.locationBelowMinimumOnline, `${online} of at least ${minOnline} monitors online; they poll every service of the location between them`)]
      : [event(Uei.locationMinimumOnlineRestored, minOnline === undefined ? 'the location no longer sets min-online' : `${online} monitors online, at least ${minOnline}`)];
  }
}

function describeSizes(split: Split): string {
  const sizes = Object.values(split.shareSizes());
  return sizes.length === 0 ? 'nothing (no monitor online)' : `${sizes.reduce((a, b) => a + b, 0)} services (${sizes.join(', ')})`;
}
