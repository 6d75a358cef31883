/**
 * reportResults: stores a batch of results and everything that follows from
 * them in one transaction (shared with the batches of other monitors that
 * arrive within the same few milliseconds: arrival-groups.ts), and
 * acknowledges the highest seq only once that transaction has committed.
 * Results at or below the monitor's acknowledged seq are ignored, so a poller may resend after any failure without anything
 * counting twice.
 *
 * Per result: the service's status as this monitor sees it (opening or
 * closing an outage) and, unless suppressed, the lost/regained announcement
 * (an event, hence an alarm and notifications). Announcements are suppressed
 * inside an outage calendar window and while the monitor's own connectivity
 * is lost. After the batch: the monitor's connectivity, and the applications
 * whose services changed. Then, each in its own transaction, the
 * connectivity of the monitors at other locations that see one of the
 * batch's services down: this batch may be the overlapping UP that shows one
 * of them lost its own network, or the DOWN that confirms its outage is real
 * (correlation/connectivity.ts).
 *
 * At a `distribute` location only the monitor that holds a service now
 * speaks for it. A result from another monitor of the location (one the
 * service moved away from a moment ago, sent before it fetched its new
 * share) is a real observation: it is stored (and goes to the response-time
 * series) but changes no service state, outage or alarm, which the holder's
 * results drive.
 */
import { ErrorCode, ProtocolError, Uei, type ParamsOf, type ResultOf } from '@vantage/common';
import type { EventBus, NewEvent } from '@vantage/events';
import type { Logger } from '@vantage/runtime';
import type { EntityManager } from 'typeorm';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { ApplicationDefinition } from '../config/polling-config.ts';
import { evaluateApplication } from '../correlation/application-state.ts';
import { evaluateConnectivity, MIN_SERVICES_FOR_CONNECTIVITY, type ServiceAt } from '../correlation/connectivity.ts';
import { locationMembers } from '../packages/membership.ts';
import type { Database } from '../db/database.ts';
import { LocationMonitorEntity, ServiceStateEntity, type LocationMonitorRow, type ServiceStateRow } from '../db/entities.ts';
import type { EventRecorder } from '../event-store/event-recorder.ts';
import { standingRefusal } from '../location-monitors/location-monitor-service.ts';
import type { Split } from '../packages/distribute.ts';
import { closeOutage, openOutage } from '../outages/outage-store.ts';
import { ArrivalGroups } from './arrival-groups.ts';
import { outsideClockWindow } from './clock-window.ts';
import { lockMonitors, saveStatesAndSeqs, storeResultsAndReadStates, type LockedMonitor, type Watcher } from './ingest-statements.ts';
import { serviceTransition } from './service-transition.ts';

/**
 * How long a batch waits for batches of other monitors to share its
 * transaction. A hundred pollers sending every second (17 results a batch
 * at 1,000 services a minute) give a group of about twenty: per result, the
 * transaction's fixed cost falls by as much. Measured with that fleet on
 * PostgreSQL: 0.13-0.14 ms of CPU per result against 0.16-0.17 with a 50 ms
 * window, for a reportResults round trip of 135 ms instead of 40 (p50).
 */
const GROUP_WINDOW_MS = 200;
/**
 * A group is sent at once when its batches hold this many results: they
 * spread the fixed cost well enough, and a poller replaying its backlog
 * (1,000 results a batch, the next sent only once this one is
 * acknowledged) never waits for the window.
 */
const GROUP_MAX_RESULTS = 500;

type Results = ParamsOf<'reportResults'>['results'];

interface PendingBatch {
  monitor: LocationMonitorRow;
  params: ParamsOf<'reportResults'>;
  resolve: (result: ResultOf<'reportResults'>) => void;
  reject: (err: unknown) => void;
}

/** What a batch's transaction did, for what follows its commit. */
interface BatchOutcome {
  ackedSeq: number;
  events: Awaited<ReturnType<EventRecorder['record']>>;
  fresh: Results;
  /** Monitors at other locations whose connectivity to look at again. */
  others: string[];
  /** Whether it changed some service's status, its first one included (which no event announces). */
  statusesChanged: boolean;
}

/** A batch between its group's statements. */
interface BatchInProgress {
  /** Its place in the group. */
  index: number;
  locked: LocationMonitorRow & LockedMonitor;
  /** Its results above the monitor's acknowledged seq, in seq order. */
  fresh: Results;
  others: string[];
  /** At a `distribute` location, who holds each service now. */
  split: Split | null;
  events: NewEvent[];
  touched: Map<string, ServiceStateRow>;
  changedServices: Set<string>;
  /** Whether a service got its first state at this monitor (shown as up where there was no data; not a change of status). */
  firstStates: boolean;
}

/** Results that were committed, for whoever else wants them (response-time series). */
export type CommittedResultsListener = (monitor: LocationMonitorRow, results: Results) => void;

export class ResultIngest {
  private readonly listeners: CommittedResultsListener[] = [];

  private readonly groups: ArrivalGroups<PendingBatch>;
  private readonly log: Logger | undefined;

  constructor(
    private readonly db: Database,
    private readonly configs: ConfigHolder,
    private readonly bus: EventBus,
    private readonly recorder: EventRecorder,
    private readonly now: () => number = Date.now,
    options: { groupWindowMs?: number; log?: Logger } = {},
  ) {
    this.log = options.log;
    this.groups = new ArrivalGroups(options.groupWindowMs ?? GROUP_WINDOW_MS, GROUP_MAX_RESULTS, (batches) => void this.takeGroup(batches));
  }

  onCommitted(listener: CommittedResultsListener): void {
    this.listeners.push(listener);
  }

  private readonly statusListeners: (() => void)[] = [];

  /** Called after every commit that changed some service's status at this instance (a first status too). */
  onStatusesChanged(listener: () => void): void {
    this.statusListeners.push(listener);
  }

  private readonly batchListeners: ((seconds: number) => void)[] = [];

  /** Called after every batch, taken or refused, with the time it took. */
  onBatchDone(listener: (seconds: number) => void): void {
    this.batchListeners.push(listener);
  }

  async report(monitor: LocationMonitorRow, params: ParamsOf<'reportResults'>): Promise<ResultOf<'reportResults'>> {
    const started = performance.now();
    try {
      this.admit(monitor, params);
      return await new Promise((resolve, reject) => this.groups.add(monitor.id, params.results.length, { monitor, params, resolve, reject }));
    } finally {
      const seconds = (performance.now() - started) / 1000;
      for (const listener of this.batchListeners) listener(seconds);
    }
  }

  /** Refuses a batch for what can be told without the database: services not in the package, times outside the clock window. */
  private admit(monitor: LocationMonitorRow, params: ParamsOf<'reportResults'>): void {
    // Results gathered before a pause (or before a rebalance of a `distribute` location) are still valid,
    // so membership is checked against the location's package.
    const pkg = this.configs.packageFor(monitor.location);
    const foreign = [...new Set(params.results.map((r) => r.serviceId).filter((id) => !pkg?.serviceIds.has(id)))];
    if (foreign.length > 0) {
      throw new ProtocolError(
        ErrorCode.Forbidden,
        `results for services not in this monitor's package: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}`,
        { serviceIds: foreign },
      );
    }
    const spoolMaxAgeMs = pkg?.settings.spoolMaxAgeMs ?? this.configs.config.settings.spoolMaxAgeMs;
    const outside = outsideClockWindow(params.results, this.now(), spoolMaxAgeMs);
    if (outside) throw outside;
  }

  /**
   * Takes a group of batches (each of another monitor) in one transaction
   * and the same few statements: lock the monitors (in the order of their
   * ids, so that two groups never wait on each other in a cycle), store the
   * results and read their services' states, work out each batch's changes,
   * write the states and seqs; then, only for batches that changed a
   * service's status, outages, connectivity, applications and events. A
   * batch refused for its monitor's standing is refused alone, before
   * anything of it is written. When the transaction fails, each batch is
   * taken again in a transaction of its own: whatever made it fail (a
   * deadlock with other work, a database error caused by one batch) fails
   * at most the batch that causes it.
   */
  private async takeGroup(batches: PendingBatch[]): Promise<void> {
    let outcomes: (BatchOutcome | ProtocolError)[];
    try {
      outcomes = await this.db.transaction((manager) => this.takeIn(manager, batches));
    } catch (err) {
      if (batches.length === 1) return batches[0]!.reject(err);
      this.log?.warn(`a group of ${batches.length} result batches failed (${String(err)}); taking each in a transaction of its own`);
      await Promise.all(batches.map((batch) => this.takeGroup([batch])));
      return;
    }
    for (const [i, batch] of batches.entries()) {
      const outcome = outcomes[i]!;
      if (outcome instanceof ProtocolError) {
        batch.reject(outcome);
        continue;
      }
      try {
        await this.afterCommit(batch.monitor, outcome);
        batch.resolve({ ackedSeq: outcome.ackedSeq });
      } catch (err) {
        batch.reject(err);
      }
    }
  }

  /** The group's transaction: each batch's outcome, or its monitor's refusal, in the order of `batches`. */
  private async takeIn(manager: EntityManager, batches: readonly PendingBatch[]): Promise<(BatchOutcome | ProtocolError)[]> {
    const ids = [...new Set(batches.map((b) => b.monitor.id))].sort();
    const { monitors, watchers } = await lockMonitors(manager, ids);
    const outcomes: (BatchOutcome | ProtocolError)[] = [];
    const taking: BatchInProgress[] = [];
    for (const [i, { monitor, params }] of batches.entries()) {
      const state = monitors.get(monitor.id);
      if (!state) {
        outcomes[i] = { ackedSeq: 0, events: [], fresh: [], others: [], statusesChanged: false };
        continue;
      }
      // The standing under the lock: a connection authenticated once may be sending after a change by an administrator.
      const refusal = standingRefusal(state, 'reportResults');
      if (refusal) {
        outcomes[i] = refusal;
        continue;
      }
      const locked = { ...monitor, ...state };
      // Also on a resend: the re-evaluation of other monitors may not have run after the first attempt.
      const concerned = watchers.filter((w) => w.location !== locked.location);
      const others = this.mayConcern(concerned, params.results) ? await this.othersToReevaluate(manager, locked, params.results) : [];
      const fresh = params.results.filter((r) => r.seq > locked.lastSeq).sort((a, b) => a.seq - b.seq);
      if (fresh.length === 0) {
        outcomes[i] = { ackedSeq: locked.lastSeq, events: [], fresh, others, statusesChanged: false };
        continue;
      }
      const pkg = this.configs.packageFor(locked.location);
      // Read under the monitor's row lock: a rebalance that hands services off waits for this batch, and any later batch sees it.
      const split = pkg?.shares ? pkg.shares.splitFor(await locationMembers(manager, locked.location)) : null;
      taking.push({ index: i, locked, fresh, others, split, events: [], touched: new Map(), changedServices: new Set(), firstStates: false });
    }
    if (taking.length === 0) return outcomes;

    const states = await storeResultsAndReadStates(
      manager,
      taking.map((b) => ({ monitorId: b.locked.id, results: b.fresh })),
    );
    for (const batch of taking) await this.applyResults(manager, batch, states.get(batch.locked.id)!);
    await saveStatesAndSeqs(
      manager,
      taking.map((b) => ({ monitorId: b.locked.id, states: [...b.touched.values()], lastSeq: b.fresh.at(-1)!.seq })),
    );
    const now = this.now();
    for (const batch of taking) {
      const announced = batch.changedServices.size > 0 ? await this.afterChanges(manager, batch, now) : batch.events;
      outcomes[batch.index] = {
        ackedSeq: batch.fresh.at(-1)!.seq,
        events: await this.recorder.record(manager, announced),
        fresh: batch.fresh,
        others: batch.others,
        statusesChanged: batch.changedServices.size > 0 || batch.firstStates,
      };
    }
    return outcomes;
  }

  /**
   * A batch's results against its services' states: the new states, the
   * outages opened and closed, the lost/regained announcements. Results for
   * a service that another monitor of a `distribute` location holds are
   * stored, and change nothing.
   */
  private async applyResults(manager: EntityManager, batch: BatchInProgress, states: Map<string, ServiceStateRow>): Promise<void> {
    const { locked, split } = batch;
    const pkg = this.configs.packageFor(locked.location);
    for (const result of batch.fresh) {
      if (split && split.holderOf(result.serviceId) !== locked.id) continue;
      const scheduled = this.configs.inScheduledOutage(locked.location, result.serviceId, result.timestamp);
      const transition = serviceTransition(states.get(result.serviceId), locked.id, result, scheduled || locked.connectivityLost);
      if (!transition) continue;
      const nodeLabel = pkg?.servicesById.get(result.serviceId)?.nodeLabel ?? null;
      if (!states.has(result.serviceId)) batch.firstStates = true;
      if (transition.statusChanged) {
        batch.changedServices.add(result.serviceId);
        if (transition.row.status === 'DOWN') {
          await openOutage(manager, { monitorId: locked.id, location: locked.location, serviceId: result.serviceId, nodeLabel, startedAt: result.timestamp, reason: result.reason ?? null, scheduled });
        } else {
          await closeOutage(manager, locked.id, result.serviceId, result.timestamp);
        }
      }
      if (transition.announce) {
        batch.events.push({
          uei: transition.announce === 'DOWN' ? Uei.nodeLostService : Uei.nodeRegainedService,
          time: result.timestamp,
          location: locked.location,
          monitorId: locked.id,
          serviceId: result.serviceId,
          nodeLabel,
          params: { monitorName: locked.name, ...(result.reason !== undefined ? { reason: result.reason } : {}) },
        });
      }
      states.set(result.serviceId, transition.row);
      batch.touched.set(result.serviceId, transition.row);
    }
  }

  /** After a batch changed services' statuses (its states written): its monitor's connectivity, and the applications concerned. */
  private async afterChanges(manager: EntityManager, batch: BatchInProgress, now: number): Promise<NewEvent[]> {
    const { locked, split } = batch;
    const polled = split ? split.sizeOf(locked.id) : (this.configs.packageFor(locked.location)?.serviceIds.size ?? 0);
    const connectivity = await evaluateConnectivity(manager, locked, polled, now, this.serviceAt);
    let announced = batch.events;
    if (connectivity?.kind === 'lost') {
      // This batch's lost/regained announcements are explained by the connectivity loss too.
      announced = connectivity.events;
    } else if (connectivity) {
      announced = [...batch.events, ...connectivity.events];
    }
    // A change of connectivity changes how every service of the monitor counts.
    const affected = connectivity ? new Set([...batch.changedServices, ...(await this.servicesSeenBy(manager, locked.id))]) : batch.changedServices;
    return [...announced, ...(await this.evaluateApplications(manager, affected, now))];
  }

  /** What follows a batch once its transaction has committed: its events go out, and other monitors are looked at again. */
  private async afterCommit(monitor: LocationMonitorRow, outcome: BatchOutcome): Promise<void> {
    this.bus.publish(outcome.events);
    if (outcome.statusesChanged) for (const listener of this.statusListeners) listener();
    if (outcome.fresh.length > 0) for (const listener of this.listeners) listener(monitor, outcome.fresh);
    for (const other of outcome.others) await this.reevaluateConnectivity(other);
  }

  /**
   * Whether any monitor at another location could be one that
   * othersToReevaluate finds, by what the lock statement read of them: one
   * cut off, when the results see a service down; one that sees at least
   * two services down, at a `distribute` location or every service of its
   * package, when the results see a service up. A necessary condition, so
   * that the query that looks at their services runs only when it may find one.
   */
  private mayConcern(watchers: readonly Watcher[], results: ParamsOf<'reportResults'>['results']): boolean {
    if (watchers.length === 0) return false;
    const sees = (status: string) => results.some((r) => r.status === status);
    return watchers.some((w) => {
      if (w.connectivityLost) return sees('DOWN');
      const pkg = this.configs.packageFor(w.location);
      return (pkg?.shares || w.down >= (pkg?.serviceIds.size ?? Infinity)) && sees('UP');
    });
  }

  /**
   * Monitors at other locations whose connectivity these results may decide
   * or withdraw: one cut off that sees a service down which these results
   * see down too (a confirmation), or one not cut off that sees every
   * service it polls down (at least two, and at a `replicate` location its
   * whole package) and a service down which these results see up (a
   * witness). Most batches find none, and no further transaction runs.
   */
  private async othersToReevaluate(manager: EntityManager, monitor: LocationMonitorRow, results: ParamsOf<'reportResults'>['results']): Promise<string[]> {
    const seen = (status: string) => [...new Set(results.filter((r) => r.status === status).map((r) => r.serviceId))];
    const rows = (await manager.query(
      `SELECT c.id, c.location, c.lost, c.down FROM (
          SELECT lm.id, lm.location, lm.connectivity_lost AS lost,
                 (SELECT count(*) FROM service_state d WHERE d.monitor_id = lm.id AND d.status = 'DOWN')::int AS down
            FROM location_monitor lm
           WHERE lm.location <> $1 AND lm.lifecycle = 'STARTED'
             AND lm.id IN (SELECT ss.monitor_id FROM service_state ss
                            WHERE ss.status = 'DOWN' AND ss.service_id = ANY(CASE WHEN lm.connectivity_lost THEN $3::text[] ELSE $2::text[] END))
        ) c WHERE c.lost OR c.down >= ${MIN_SERVICES_FOR_CONNECTIVITY}`,
      [monitor.location, seen('UP'), seen('DOWN')],
    )) as { id: string; location: string; lost: boolean; down: number }[];
    const ids: string[] = [];
    for (const row of rows) {
      const pkg = this.configs.packageFor(row.location);
      // A share at a `distribute` location is smaller than the package: the evaluation counts it.
      if (row.lost || pkg?.shares || row.down >= (pkg?.serviceIds.size ?? Infinity)) ids.push(row.id);
    }
    return ids.sort();
  }

  /** Re-evaluates another monitor's connectivity after results from elsewhere, in its own transaction under its row lock. */
  private async reevaluateConnectivity(monitorId: string): Promise<void> {
    const events = await this.db.transaction(async (manager) => {
      const locked = await manager.findOne(LocationMonitorEntity, { where: { id: monitorId }, lock: { mode: 'pessimistic_write' } });
      if (!locked || locked.lifecycle !== 'STARTED') return [];
      const now = this.now();
      const change = await evaluateConnectivity(manager, locked, await this.polledCount(manager, locked), now, this.serviceAt);
      if (!change) return [];
      const applicationEvents = await this.evaluateApplications(manager, await this.servicesSeenBy(manager, monitorId), now);
      return this.recorder.record(manager, [...change.events, ...applicationEvents]);
    });
    this.bus.publish(events);
  }

  /** How many services a monitor polls: its package, or its share at a `distribute` location. */
  private async polledCount(manager: EntityManager, monitor: LocationMonitorRow): Promise<number> {
    const pkg = this.configs.packageFor(monitor.location);
    if (!pkg) return 0;
    if (!pkg.shares) return pkg.serviceIds.size;
    return pkg.shares.splitFor(await locationMembers(manager, monitor.location)).sizeOf(monitor.id);
  }

  private async servicesSeenBy(manager: EntityManager, monitorId: string): Promise<Set<string>> {
    const rows = await manager.find(ServiceStateEntity, { where: { monitorId }, select: { serviceId: true } });
    return new Set(rows.map((r) => r.serviceId));
  }

  private async evaluateApplications(manager: EntityManager, serviceIds: ReadonlySet<string>, now: number): Promise<NewEvent[]> {
    const events: NewEvent[] = [];
    for (const application of this.applicationsOf(serviceIds)) {
      const applicationEvent = await evaluateApplication(manager, application, now, this.distributed);
      if (applicationEvent) events.push(applicationEvent);
    }
    return events;
  }

  /** A service as a location polls it, by the configuration in force. */
  private readonly serviceAt: ServiceAt = (location, serviceId) => this.configs.packageFor(location)?.servicesById.get(serviceId);

  /** Whether a location is in `distribute` mode (one perspective per location), by the configuration in force. */
  private readonly distributed = (location: string): boolean => this.configs.location(location)?.mode === 'distribute';

  private applicationsOf(serviceIds: ReadonlySet<string>): ApplicationDefinition[] {
    const applications = new Set<ApplicationDefinition>();
    for (const id of serviceIds) for (const application of this.configs.applicationsOf(id)) applications.add(application);
    return [...applications];
  }
}
