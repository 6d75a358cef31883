/**
 * Everything the backend does to location monitors: registration, the
 * lifecycle calls of the protocol, administrator actions and disconnect
 * detection. Each change locks the monitor's row, applies the state machine,
 * stores the resulting events in the same transaction, and only after commit
 * publishes them and hints the poller.
 */
import { describeAuditTarget } from '../audit/audit-trail.ts';
import {
  ErrorCode,
  ProtocolError,
  Uei,
  type MethodName,
  type MonitorCredentials,
  type MonitorStatus,
  type NotificationName,
  type NotificationParams,
  type ParamsOf,
  type ResultOf,
  type Connection,
  type PollingPackage,
  type PolledService,
} from '@vantage/common';
import type { EventBus, NewEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { Database } from '../db/database.ts';
import { LocationMonitorEntity, type LocationMonitorRow } from '../db/entities.ts';
import type { EventRecorder } from '../event-store/event-recorder.ts';
import { pausedVersion, type LocationPackage } from '../packages/location-packages.ts';
import { isMember, locationMembers } from '../packages/membership.ts';
import type { BlockedAddressStore } from './blocked-addresses.ts';
import { applyTrigger, TransitionError, wireStatus, type Trigger } from './monitor-state.ts';
import type { RegistrationAdmission } from './registration-admission.ts';
import { newMonitorCredentials, secretMatches } from './secrets.ts';
import { normalizeAddress } from './source-address.ts';

/** Sends protocol notifications to a monitor's open connections, if any, and closes them. */
export interface PollerNotifier {
  notify<N extends NotificationName>(monitorId: string, name: N, params: NotificationParams<N>): void;
  /** Closes the monitor's open connections, saying why (its credentials no longer hold). */
  disconnect(monitorId: string, reason: string): void;
}

export interface RegistrationContext {
  /** The standalone backend's own poller: approved at once, not deletable, and exempt from registration limits. */
  local?: boolean;
  /** The caller's IP address, which per-address limits and the deny list go by. */
  address?: string;
}

/** Where registrations are admitted, and the deny list by address that "deny and block" adds to. */
export interface AdmissionControl {
  admission: RegistrationAdmission;
  blocked: BlockedAddressStore;
}

/** The address of a caller the transport could not name: they all share one allowance. */
const UNKNOWN_ADDRESS = 'unknown';

/**
 * Told after a change of a monitor's lifecycle or pause flag has committed
 * that made it join or leave its location's members (STARTED and not
 * paused). Must not reject.
 */
export type MembershipListener = (location: string) => Promise<void>;

export class NotFoundError extends Error {}
export class ForbiddenActionError extends Error {}

export class LocationMonitorService {
  private readonly membershipListeners: MembershipListener[] = [];

  constructor(
    private readonly db: Database,
    private readonly configs: ConfigHolder,
    private readonly bus: EventBus,
    private readonly notifier: PollerNotifier,
    private readonly recorder: EventRecorder,
    private readonly control: AdmissionControl,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called, and awaited, after each change of a location's members (a `distribute` location rebalances then). */
  onMembershipChanged(listener: MembershipListener): void {
    this.membershipListeners.push(listener);
  }

  // ---- protocol ----

  async register(params: ParamsOf<'registerLocationMonitor'>, context: RegistrationContext = {}): Promise<ResultOf<'registerLocationMonitor'>> {
    const local = context.local === true;
    const address = context.address === undefined ? UNKNOWN_ADDRESS : (normalizeAddress(context.address) ?? context.address);
    const { admission } = this.control;
    if (!local) admission.takeCall(address);
    const location = this.configs.location(params.location);
    if (!location) throw new ProtocolError(ErrorCode.NoSuchLocation, `no such location "${params.location}"`);
    const lifecycle = local ? 'REGISTERED' : await admission.decide(location.name, params.token, address);
    const { monitorId, secret, secretHash } = newMonitorCredentials();
    const now = this.now();
    const row: LocationMonitorRow = {
      id: monitorId,
      location: location.name,
      name: params.name,
      lifecycle,
      paused: false,
      isLocal: local,
      secretHash,
      details: params.details ?? {},
      registeredAt: now,
      lastCheckInAt: null,
      lastSeq: 0,
      deliveredVersion: null,
      lastStats: null,
      connectivityLost: false,
      serverUrl: null,
      serverRole: null,
      sourceAddress: local ? null : address,
      revokedAt: null,
    };
    const stored = await this.db.transaction(async (manager) => {
      if (local) {
        // A local poller that lost its state replaces the old local identity, which nobody else can delete.
        await manager.update(LocationMonitorEntity, { isLocal: true, location: location.name }, { lifecycle: 'DELETED' });
      }
      if (lifecycle === 'PENDING') await admission.ensurePendingRoom(manager, location.name, address);
      await manager.insert(LocationMonitorEntity, row);
      return this.recorder.record(manager, [
        this.event(row, Uei.locationMonitorRegistered, { monitorName: row.name, status: lifecycle }),
      ]);
    });
    this.bus.publish(stored);
    // The local identity it replaced may have been one of the location's members.
    if (local) await this.membershipChanged(location.name);
    return { monitorId, secret, status: lifecycle };
  }

  /**
   * Finds the monitor behind credentials and checks it may make `method`.
   * Wrong credentials are -32002; deleted, denied and pending monitors get
   * their own codes, except that a deleted monitor's check-in answers DELETED.
   */
  async authenticate(credentials: MonitorCredentials | null | undefined, method: MethodName): Promise<LocationMonitorRow> {
    if (!credentials) throw new ProtocolError(ErrorCode.NotAuthenticated, `${method} needs credentials: Authorization: Bearer MONITOR_ID.SECRET`);
    const row = await this.verifyCredentials(credentials);
    if (!row) throw new ProtocolError(ErrorCode.NotAuthenticated, 'unknown monitor or wrong secret');
    checkStanding(row, method);
    return row;
  }

  /** The monitor if the credentials are right, whatever its state; used for the WebSocket upgrade. */
  async verifyCredentials(credentials: MonitorCredentials): Promise<LocationMonitorRow | null> {
    const row = await this.db.manager.findOneBy(LocationMonitorEntity, { id: credentials.monitorId });
    if (!row || !secretMatches(credentials.secret, row.secretHash)) return null;
    return row;
  }

  async starting(monitor: LocationMonitorRow, params: ParamsOf<'pollerStarting'>): Promise<ResultOf<'pollerStarting'>> {
    const row = await this.change(monitor.id, 'start', {
      edit: (r) => {
        r.lastCheckInAt = this.now();
        if (params.details) r.details = params.details;
        noteConnection(r, params.connection);
      },
      events: (r) => this.switchEvents(r, params.connection),
    });
    // The poller fetches its package right after starting, so no CONFIG_CHANGED here.
    return { status: wireStatus(row) === 'PAUSED' ? 'PAUSED' : 'STARTED', serverTime: this.now() };
  }

  /**
   * `monitor` may be the one verified when the connection opened: the usual
   * check-in reads what it needs of the row as it records it, and any other
   * goes by the monitor as it is now, from `current` (which checks its
   * standing again).
   */
  async checkIn(
    monitor: LocationMonitorRow,
    params: ParamsOf<'pollerCheckingIn'>,
    current: () => Promise<LocationMonitorRow> = async () => monitor,
  ): Promise<ResultOf<'pollerCheckingIn'>> {
    const usual = await this.checkInStarted(monitor, params);
    if (usual) return { status: await this.statusForPoller(usual, params.configVersion), serverTime: this.now() };
    const now = await current();
    if (now.lifecycle === 'DELETED') return { status: 'DELETED', serverTime: this.now() };
    const row = await this.change(now.id, 'checkIn', {
      edit: (r) => {
        r.lastCheckInAt = this.now();
        if (params.stats) r.lastStats = params.stats;
        noteConnection(r, params.connection);
      },
      events: (r) => this.switchEvents(r, params.connection),
    });
    return { status: await this.statusForPoller(row, params.configVersion), serverTime: this.now() };
  }

  /**
   * The usual check-in, a STARTED monitor's with its credentials in force
   * that did not just switch servers: it changes no lifecycle and raises no
   * event, so one statement, a transaction by itself, records it (with what
   * `checkIn` would note), without the general path's reads of the row.
   * Null when the monitor is not STARTED or its credentials were revoked
   * (under the statement's row lock), or it switched servers: the general
   * path takes it.
   */
  private async checkInStarted(monitor: LocationMonitorRow, params: ParamsOf<'pollerCheckingIn'>): Promise<LocationMonitorRow | null> {
    const connection = params.connection;
    if (connection?.arrival === 'switchover' || connection?.arrival === 'switchback') return null;
    const now = this.now();
    const [row] = (await this.db.statement(
      // As a CTE the statement is a SELECT, so both drivers hand back plain rows.
      `WITH checked AS (
         UPDATE location_monitor
            SET last_check_in_at = $2,
                last_stats = CASE WHEN $3::jsonb IS NULL THEN last_stats ELSE $3::jsonb END,
                server_url = CASE WHEN $4 THEN $5 ELSE server_url END,
                server_role = CASE WHEN $4 THEN $6 ELSE server_role END
          WHERE id = $1 AND lifecycle = 'STARTED' AND revoked_at IS NULL
         RETURNING location, paused, last_stats, server_url, server_role
       )
       SELECT * FROM checked`,
      [monitor.id, now, params.stats ? JSON.stringify(params.stats) : null, connection !== undefined, connection?.server ?? null, connection?.role ?? null],
    )) as { location: string; paused: boolean; last_stats: LocationMonitorRow['lastStats']; server_url: string | null; server_role: string | null }[];
    if (!row) return null;
    return {
      ...monitor,
      lifecycle: 'STARTED',
      location: row.location,
      paused: row.paused,
      revokedAt: null,
      lastCheckInAt: now,
      lastStats: row.last_stats,
      serverUrl: row.server_url,
      serverRole: row.server_role as LocationMonitorRow['serverRole'],
    };
  }

  async getPackage(monitor: LocationMonitorRow, knownVersion: string | undefined): Promise<ResultOf<'getPollingPackage'>> {
    const pkg = this.configs.packageFor(monitor.location);
    if (!pkg) throw new ProtocolError(ErrorCode.NoSuchLocation, `location "${monitor.location}" is no longer configured`);
    const paused = monitor.paused;
    const offer = paused ? { version: pausedVersion(pkg.settings), package: { ...pkg.package, services: [] } } : await this.offerFor(monitor, pkg);
    const version = offer.version;
    if (knownVersion === version) return { version, notModified: true };
    if (!paused && monitor.deliveredVersion !== version) {
      const previous = monitor.deliveredVersion;
      const stored = await this.db.transaction(async (manager) => {
        await manager.update(LocationMonitorEntity, { id: monitor.id }, { deliveredVersion: version });
        // The first delivery is not a change; a later different version is one the monitor has now detected.
        return previous === null
          ? []
          : this.recorder.record(manager, [this.event(monitor, Uei.configurationChangeDetected, { version, previousVersion: previous })]);
      });
      this.bus.publish(stored);
    }
    return { version, package: offer.package, settings: pkg.settings, serverTime: this.now() };
  }

  /**
   * What a monitor that is not paused polls: its location's package, or, at
   * a `distribute` location, its share of it. A monitor that is not a member
   * yet (it fetches its package as it starts, racing the change that makes
   * it one) gets the share it holds once it is.
   */
  private async offerFor(monitor: LocationMonitorRow, pkg: LocationPackage): Promise<{ version: string; package: PollingPackage }> {
    if (!pkg.shares) return { version: pkg.version, package: pkg.package };
    const members = await locationMembers(this.db.manager, monitor.location);
    return pkg.shares.splitFor([...members, monitor.id]).shareOf(monitor.id);
  }

  async stopping(monitor: LocationMonitorRow): Promise<ResultOf<'pollerStopping'>> {
    const row = await this.change(monitor.id, 'stop');
    return { status: wireStatus(row) as MonitorStatus };
  }

  // ---- administrators ----

  /**
   * The services a monitor is responsible for now, for administrators: its
   * location's package, or at a `distribute` location its share (nothing
   * when it is not a member: stopped, disconnected, paused).
   */
  async servicesOf(monitor: LocationMonitorRow): Promise<readonly PolledService[]> {
    const pkg = this.configs.packageFor(monitor.location);
    if (!pkg) return [];
    if (!pkg.shares) return pkg.package.services;
    if (!isMember(monitor)) return [];
    return (await this.offerFor(monitor, pkg)).package.services;
  }

  /** Each member's number of services at a `distribute` location (null in `replicate` mode), from monitors already read. */
  shareSizes(location: string, monitors: readonly LocationMonitorRow[]): Record<string, number> | null {
    const shares = this.configs.packageFor(location)?.shares;
    if (!shares) return null;
    return shares.splitFor(monitors.filter((m) => m.location === location && isMember(m)).map((m) => m.id)).shareSizes();
  }

  async list(location?: string): Promise<LocationMonitorRow[]> {
    const qb = this.db.manager.getRepository(LocationMonitorEntity).createQueryBuilder('m').where("m.lifecycle <> 'DELETED'");
    if (location !== undefined) qb.andWhere('m.location = :location', { location });
    return qb.orderBy('m.location').addOrderBy('m.name').addOrderBy('m.registered_at').getMany();
  }

  async get(monitorId: string): Promise<LocationMonitorRow> {
    const row = await this.db.manager.findOneBy(LocationMonitorEntity, { id: monitorId });
    if (!row || row.lifecycle === 'DELETED') throw new NotFoundError(`no monitor with id "${monitorId}"`);
    return row;
  }

  /** An administrative action; `by` (the user) goes on its events, so the events list names who paused. */
  async administer(monitorId: string, action: 'approve' | 'deny' | 'pause' | 'resume' | 'delete', by?: string): Promise<LocationMonitorRow> {
    const row = await this.change(monitorId, action, {
      edit: (r) => {
        if (action === 'delete' && r.isLocal) throw new ForbiddenActionError('the built-in local poller cannot be deleted; pause it instead');
      },
      params: by === undefined ? {} : { by },
    });
    const status = wireStatus(row);
    // A hint so the poller reacts now rather than at its next check-in.
    if (status !== 'DENIED' && status !== 'REVOKED') this.notifier.notify(row.id, 'statusChanged', { status });
    return row;
  }

  /**
   * Denies a pending monitor for good and, if asked, blocks the address it
   * registered from (PRTG's "deny and block IP"), in one transaction.
   */
  async deny(monitorId: string, options: { blockAddress: boolean; by: string }): Promise<LocationMonitorRow> {
    if (!options.blockAddress) return this.administer(monitorId, 'deny', options.by);
    return this.change(monitorId, 'deny', {
      edit: (r) => {
        if (r.sourceAddress === null || r.sourceAddress === UNKNOWN_ADDRESS) {
          throw new ForbiddenActionError(`the address monitor "${r.name}" registered from is not known; deny it without blocking`);
        }
      },
      also: (manager, r) =>
        this.control.blocked.add({ address: r.sourceAddress!, by: options.by, reason: `denied monitor "${r.name}" at ${r.location}`, monitorId: r.id }, manager),
      params: { by: options.by },
    });
  }

  /**
   * Withdraws a monitor's secret: every later call with it answers -32006,
   * and its open connections are closed. The poller stops for good.
   */
  async revokeCredentials(monitorId: string, by: string): Promise<LocationMonitorRow> {
    const row = await this.change(monitorId, 'revoke', {
      edit: (r) => {
        if (r.isLocal) throw new ForbiddenActionError('the built-in local poller has no credentials to revoke; pause it instead');
        r.revokedAt = this.now();
      },
      params: { by },
    });
    this.notifier.disconnect(row.id, 'credentials revoked by an administrator');
    return row;
  }

  /** Deletes every monitor waiting for approval at a location, in one statement; returns how many. */
  async purgePending(location: string, by: string): Promise<number> {
    const { count, stored } = await this.db.transaction(async (manager) => {
      const result = await manager.update(LocationMonitorEntity, { location, lifecycle: 'PENDING' }, { lifecycle: 'DELETED' });
      const count = result.affected ?? 0;
      const events: NewEvent[] = count === 0 ? [] : [{ uei: Uei.pendingMonitorsPurged, time: this.now(), location, monitorId: null, params: { count: String(count), by } }];
      return { count, stored: await this.recorder.record(manager, events) };
    });
    this.bus.publish(stored);
    return count;
  }

  /** Marks STARTED monitors that missed their check-ins DISCONNECTED; returns how many. */
  async sweepDisconnected(): Promise<number> {
    const cutoff = this.now() - this.configs.config.settings.disconnectTimeoutMs;
    const late = await this.db.manager
      .getRepository(LocationMonitorEntity)
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .where("m.lifecycle = 'STARTED'")
      .andWhere('m.last_check_in_at < :cutoff', { cutoff })
      .getRawMany<{ id: string }>();
    let count = 0;
    for (const { id } of late) {
      // Re-checked under the row lock: the monitor may have checked in since, or another backend got there first.
      const changed = await this.change(id, 'missedCheckIns', {
        edit: (r) => {
          if (r.lastCheckInAt !== null && r.lastCheckInAt >= cutoff) throw new StaleSweep();
        },
      }).catch((err: unknown) => {
        if (err instanceof StaleSweep || err instanceof TransitionError) return null;
        throw err;
      });
      if (changed) count++;
    }
    return count;
  }

  // ---- internals ----

  private async statusForPoller(row: LocationMonitorRow, configVersion: string): Promise<MonitorStatus> {
    const status = wireStatus(row);
    if (status === 'DENIED') throw new ProtocolError(ErrorCode.Forbidden, 'this monitor was denied by an administrator');
    if (status === 'REVOKED') throw new ProtocolError(ErrorCode.CredentialsRevoked, 'the credentials of this monitor were revoked by an administrator');
    const pkg = this.configs.packageFor(row.location);
    // At a `distribute` location, a monitor's share changes when another joins or leaves: it learns so here.
    if (status === 'STARTED' && pkg && configVersion !== (await this.offerFor(row, pkg)).version) return 'CONFIG_CHANGED';
    return status;
  }

  private async membershipChanged(location: string): Promise<void> {
    for (const listener of this.membershipListeners) await listener(location);
  }

  /** A poller that just switched servers: the server it arrived at records it (alarm-free). */
  private switchEvents(row: LocationMonitorRow, connection: Connection | undefined): NewEvent[] {
    if (connection?.arrival !== 'switchover' && connection?.arrival !== 'switchback') return [];
    const uei = connection.arrival === 'switchover' ? Uei.locationMonitorSwitchedOver : Uei.locationMonitorSwitchedBack;
    return [this.event(row, uei, { server: connection.server, ...(connection.switchedFrom ? { from: connection.switchedFrom } : {}) })];
  }

  /**
   * Applies a trigger under the row lock, stores its events, then publishes
   * them. `edit` may change the row (or refuse) before the state machine
   * runs; `also` writes more in the same transaction; `params` go on the
   * events; `events` adds events of its own.
   */
  private async change(
    monitorId: string,
    trigger: Trigger,
    options: {
      edit?: (row: LocationMonitorRow) => void;
      also?: (manager: EntityManager, row: LocationMonitorRow) => Promise<unknown>;
      params?: Record<string, string>;
      events?: (row: LocationMonitorRow) => NewEvent[];
    } = {},
  ): Promise<LocationMonitorRow> {
    const { row, events, membershipChanged } = await this.db.transaction(async (manager) => {
      const row = await this.lockedRow(manager, monitorId);
      // An administrator's change is recorded naming the monitor as people know it, not only by id.
      describeAuditTarget(row.id, { monitor: row.name, location: row.location });
      const wasMember = isMember(row);
      options.edit?.(row);
      const transition = applyTrigger(row, trigger);
      Object.assign(row, transition.state);
      await manager.save(LocationMonitorEntity, row);
      await options.also?.(manager, row);
      const params = { ...(trigger === 'resume' ? { reason: 'resumed by an administrator' } : {}), ...options.params };
      const events = await this.recorder.record(manager, [
        ...transition.events.map((uei) => this.event(row, uei, params)),
        ...(options.events?.(row) ?? []),
      ]);
      return { row, events, membershipChanged: wasMember !== isMember(row) };
    });
    this.bus.publish(events);
    if (membershipChanged) await this.membershipChanged(row.location);
    return row;
  }

  private async lockedRow(manager: EntityManager, monitorId: string): Promise<LocationMonitorRow> {
    const row = await manager.findOne(LocationMonitorEntity, { where: { id: monitorId }, lock: { mode: 'pessimistic_write' } });
    if (!row) throw new NotFoundError(`no monitor with id "${monitorId}"`);
    return row;
  }

  private event(row: LocationMonitorRow, uei: NewEvent['uei'], params: Record<string, string> = {}): NewEvent {
    return { uei, time: this.now(), location: row.location, monitorId: row.id, params: { monitorName: row.name, ...params } };
  }
}

class StaleSweep extends Error {}

function noteConnection(row: LocationMonitorRow, connection: Connection | undefined): void {
  if (!connection) return;
  row.serverUrl = connection.server;
  row.serverRole = connection.role;
}

/**
 * Throws what a monitor in this standing is answered when it calls `method`:
 * revoked credentials, a deleted (except for the check-in that tells it
 * so), denied or not yet approved monitor.
 */
export function checkStanding(row: Pick<LocationMonitorRow, 'revokedAt' | 'lifecycle'>, method: MethodName): void {
  const refusal = standingRefusal(row, method);
  if (refusal) throw refusal;
}

/** Why a monitor's call is refused by its standing, or undefined when it is not (checkStanding, for a caller that goes on with others). */
export function standingRefusal(row: Pick<LocationMonitorRow, 'revokedAt' | 'lifecycle'>, method: MethodName): ProtocolError | undefined {
  // Before the lifecycle: a revoked secret stays revoked even once the monitor is deleted.
  if (row.revokedAt !== null) {
    return new ProtocolError(ErrorCode.CredentialsRevoked, 'the credentials of this monitor were revoked by an administrator; they will not be accepted again');
  }
  switch (row.lifecycle) {
    case 'DELETED':
      return method === 'pollerCheckingIn' ? undefined : new ProtocolError(ErrorCode.MonitorDeleted, 'this monitor was deleted: register again');
    case 'DENIED':
      return new ProtocolError(ErrorCode.Forbidden, 'this monitor was denied by an administrator');
    case 'PENDING':
      return new ProtocolError(ErrorCode.MonitorPending, 'this monitor is waiting for an administrator to approve it');
    default:
      return undefined;
  }
}
