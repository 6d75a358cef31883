/**
 * The location monitor: register once per installation, start, fetch the
 * package, poll it on the scheduler, and, in separate lanes while connected,
 * report results from the durable spool and check in on the backend's
 * interval. Check-ins never wait behind reporting: a backlog being replayed
 * cannot make a healthy poller look dead.
 *
 * When the backend is away the poller keeps polling (the package it has, or
 * the last good one stored at its last run), keeps every result on disk, and
 * reconnects quickly with capped, jittered backoff. With several servers it
 * follows ELM's home/standby rules (server-choice.ts): switch over when home
 * has been away long enough, try home now and then while on a standby, and
 * switch back when it answers.
 */
import {
  ErrorCode,
  parseNotification,
  parseResult,
  type Connection,
  type MethodName,
  type MonitorDetails,
  type MonitorStatus,
  type ParamsOf,
  type PollerSettings,
  type PolledService,
  type PollingPackage,
  type ResultOf,
} from '@vantage/common';
import { CheckPreparer, monitors as builtInMonitors, type MonitorRegistry, type PreparedCheck } from '@vantage/monitors';
import { Backoff, systemClock, WakeableSleep, type Clock, type Logger } from '@vantage/runtime';
import { join } from 'node:path';
import { DowntimeTracker, type EffectiveInterval } from './downtime.ts';
import { collectGarbage } from './collect-garbage.ts';
import { compactServices } from './compact-services.ts';
import { PackageStore } from './package-store.ts';
import type { PollerMetrics } from './poller-metrics.ts';
import { PollScheduler } from './scheduler.ts';
import { ServerChoice, type Arrival } from './server-choice.ts';
import { ResultSpool } from './spool.ts';
import { identityFor, StateStore, type PollerIdentity, type PollerState } from './state-store.ts';
import { RpcCallError, ServerCertificateError, TransportError, type ServerTransportFactory, type Transport } from './transports/transport.ts';

export interface PollerOptions {
  /** The backend's servers, home first; any further ones are standbys. */
  servers: readonly string[];
  location: string;
  name: string;
  token?: string;
  stateDir: string;
  connect: ServerTransportFactory;
  log: Logger;
  details?: MonitorDetails;
  monitors?: MonitorRegistry;
  clock?: Clock;
  /** Results per reportResults call (default 1000). */
  reportBatchSize?: number;
  /** While waiting for approval, how often to ask again (a hint from the backend cuts it short). */
  approvalRetryMs?: number;
  /** First wait before reconnecting (default 500 ms); it doubles up to `reconnectMaxMs` (default 5 s), with full jitter. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Home unreachable this long: switch over to a standby (ELM's HomeELMServerCacheDuration; default 60 s). */
  switchoverAfterMs?: number;
  /** While on a standby, how often to try home (ELM's HomeELMServerRetryInterval; default 60 s). */
  switchbackIntervalMs?: number;
  /** The stored package is polled for at most this long after the backend last confirmed it (default 3 days, GDMA's). */
  packageMaxAgeMs?: number;
  /** The spool's bounds until the backend's settings arrive (defaults: 1 hour and 64 MiB). */
  spoolMaxAgeMs?: number;
  spoolMaxBytes?: number;
  /** fdatasync each group commit of the spool (default true). */
  spoolFsync?: boolean;
  /** Where checks, lateness, the spool and reconnections are counted for /metrics (`--metrics-port`). */
  metrics?: PollerMetrics;
}

/** Why the poller stopped by itself. */
export type PollerExit = 'stopped' | 'denied' | 'revoked' | 'stopped-by-backend' | 'fatal';

export const DEFAULT_PACKAGE_MAX_AGE_MS = 3 * 24 * 3_600_000;
export const DEFAULT_SPOOL_MAX_AGE_MS = 3_600_000;
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_CHECK_IN_INTERVAL_MS = 30_000;
/** How long the report lane waits for new results when the spool is empty (a commit wakes it sooner). */
const REPORT_IDLE_WAIT_MS = 1_000;
/** Checks due within this window start together: even spreading at a tenth of the timer wake-ups (scheduler.ts). */
const SCHEDULER_BATCH_WINDOW_MS = 10;
/** On a clean stop, how long the last results may take to reach the backend before the poller gives up and keeps them on disk. */
const FINAL_FLUSH_MS = 10_000;
/** From this many services a new package is followed by a full garbage collection: see collect-garbage.ts. */
const LARGE_PACKAGE_SERVICES = 10_000;

/**
 * What the scheduler holds: a service of the package in force and its check,
 * prepared when the package arrived (its parameters are read once per package,
 * not at every poll). A small object of its own: copying the service with one
 * more property would cost V8 several times the memory.
 */
interface ScheduledService {
  readonly serviceId: string;
  readonly intervalMs: number;
  readonly service: PolledService;
  readonly check: PreparedCheck;
}

/** The session must end and start again (status REGISTERED, a new identity, home is back). */
class RestartSession extends Error {}

/** The poller must stop: the backend says so, or something a retry cannot mend. */
export class FatalPollerError extends Error {
  constructor(
    message: string,
    readonly exit: PollerExit,
  ) {
    super(message);
  }
}

/** One connection to one server. */
interface Session {
  transport: Transport;
  server: string;
  installationId: string;
  identity: PollerIdentity;
  /** Sent with the first call, then dropped. */
  arrival: Arrival | undefined;
  closed: boolean;
}

export class Poller {
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly store: StateStore;
  private readonly packages: PackageStore;
  private readonly spool: ResultSpool;
  private readonly scheduler: PollScheduler<ScheduledService>;
  private readonly downtime = new DowntimeTracker();
  private readonly servers: ServerChoice;
  private readonly reconnectBackoff: Backoff;
  /** Wakes the check-in lane (a hint, a stop), the report lane (a commit, a stop) and the waits between sessions. */
  private readonly checkInWake = new WakeableSleep();
  private readonly reportWake = new WakeableSleep();
  private readonly idleWake = new WakeableSleep();
  private state: PollerState = { identities: [] };
  /** The installation each server URL belongs to, as learnt this run. */
  private readonly installations = new Map<string, string>();
  /** Installations where pollerStarting was answered this run: a reconnection there needs only a check-in. */
  private readonly started = new Set<string>();
  private session: Session | undefined;
  private settings: PollerSettings | undefined;
  private packageVersion = '';
  private packageConfirmedAt = 0;
  private pausedPackage = false;
  private pollingStopped = false;
  private currentServices: readonly PolledService[] = [];
  private status: MonitorStatus | 'UNREGISTERED' = 'UNREGISTERED';
  private stopping = false;
  private checkInDue = true;
  private monitorErrors = 0;
  private checksDone = 0;
  private reconnects = 0;
  private running: Promise<PollerExit> | undefined;
  private maxAgeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PollerOptions) {
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.store = new StateStore(options.stateDir);
    this.packages = new PackageStore(options.stateDir, this.log);
    this.spool = new ResultSpool({
      dir: join(options.stateDir, 'spool'),
      maxAgeMs: options.spoolMaxAgeMs ?? DEFAULT_SPOOL_MAX_AGE_MS,
      maxBytes: options.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
      fsync: options.spoolFsync ?? true,
      log: this.log.child('spool'),
      now: () => this.clock.now(),
    });
    this.spool.onCommit(() => this.reportWake.wake());
    options.metrics?.readSpool(() => this.spool.stats());
    this.servers = new ServerChoice({
      servers: options.servers,
      switchoverAfterMs: options.switchoverAfterMs ?? 60_000,
      switchbackIntervalMs: options.switchbackIntervalMs ?? 60_000,
      now: () => this.clock.now(),
    });
    const initialMs = options.reconnectInitialMs ?? 500;
    // Full jitter, so that many pollers cut off together do not come back together.
    this.reconnectBackoff = new Backoff({ initialMs, maxMs: options.reconnectMaxMs ?? 5_000, jitter: 1, minMs: initialMs / 2 });
    this.scheduler = new PollScheduler<ScheduledService>({
      clock: this.clock,
      parallelTasks: 50,
      batchWindowMs: SCHEDULER_BATCH_WINDOW_MS,
      runCheck: (service) => this.check(service),
      onCheckStarted: options.metrics ? (latenessMs) => options.metrics!.checkStarted(latenessMs) : undefined,
      onError: (err, service) => {
        this.monitorErrors++;
        this.log.error(`check of ${service.serviceId} failed unexpectedly: ${String(err)}`);
      },
    });
  }

  /** Starts the poller; the promise resolves when it stops, saying why. */
  start(): Promise<PollerExit> {
    this.running ??= this.run();
    return this.running;
  }

  get currentStatus(): string {
    return this.status;
  }

  /** The services of the package in force. */
  get services(): readonly PolledService[] {
    return this.currentServices;
  }

  get monitorId(): string | undefined {
    return this.session?.identity.monitorId ?? this.state.identities[0]?.monitorId;
  }

  /** The server of the current (or last) connection. */
  get server(): string | undefined {
    return this.servers.active()?.url;
  }

  /** Clean shutdown: stop polling, keep every result on disk, send what can be sent, tell the backend, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.maxAgeTimer);
    this.checkInWake.wake();
    this.reportWake.wake();
    this.idleWake.wake();
    await this.scheduler.stop();
    await this.spool.commit();
    await this.running;
    const session = this.session;
    if (session && !session.closed && this.status !== 'PENDING') {
      try {
        await this.flushFor(session, FINAL_FLUSH_MS);
        const answer = await this.call(session.transport, 'pollerStopping', {});
        this.log.info(`told the backend we are stopping (status ${answer.status})`);
      } catch (err) {
        this.log.warn(`could not tell the backend we are stopping: ${(err as Error).message}`);
      }
    }
    await this.closeSession();
    const left = this.spool.stats().records;
    if (left > 0) this.log.info(`${left} results kept on disk for the next start`);
    await this.spool.close();
  }

  private async run(): Promise<PollerExit> {
    this.state = await this.store.load();
    this.pollStoredPackage();
    while (!this.stopping) {
      const target = this.servers.target();
      let connected = false;
      try {
        await this.connect(target.url, () => (connected = true));
        await this.serve();
      } catch (err) {
        await this.closeSession();
        if (this.stopping) break;
        if (err instanceof RestartSession) continue;
        if (connected) this.servers.disconnected();
        else this.servers.failed();
        const exit = await this.recover(err);
        if (exit) {
          this.stopping = true;
          await this.scheduler.stop();
          await this.spool.commit();
          return exit;
        }
      }
    }
    return 'stopped';
  }

  // ---- connecting ----

  /** Opens a session with `server`: its installation, our identity there (registering if need be), started. */
  private async connect(server: string, onConnected: () => void): Promise<void> {
    const installationId = await this.installationOf(server);
    let identity = identityFor(this.state, installationId, server, this.options.location, this.options.name);
    identity ??= await this.register(server, installationId);
    if (identity.installationId === undefined || !identity.servers.includes(server)) {
      identity.installationId = installationId;
      if (!identity.servers.includes(server)) identity.servers.push(server);
      await this.store.save(this.state);
    }
    const transport = await this.options.connect(server, identity);
    const arrival = this.servers.connected();
    onConnected();
    if (arrival !== 'first') {
      this.reconnects++;
      this.options.metrics?.reconnected();
    }
    this.reconnectBackoff.reset();
    const session: Session = { transport, server, installationId, identity, arrival, closed: false };
    this.session = session;
    transport.onNotification((method, params) => this.onHint(method, params));
    transport.onClose((reason) => {
      session.closed = true;
      if (!this.stopping) this.log.warn(`connection to ${server} closed: ${reason}`);
      this.checkInWake.wake();
      this.reportWake.wake();
    });
    const role = this.servers.active()?.role ?? 'home';
    if (arrival === 'switchover') this.log.warn(`switched over to standby server ${server} (home ${this.servers.home} is not answering)`);
    else if (arrival === 'switchback') this.log.info(`switched back to home server ${server}`);
    else this.log.info(`connected to ${role} server ${server}`);

    // pollerStarting once per process and installation: after a reconnection a check-in is
    // enough (and it marks a monitor the backend had declared DISCONNECTED reconnected).
    if (!this.started.has(installationId)) await this.startPolling(session);
    else this.checkInDue = true;
  }

  /** Which installation a server belongs to: asked once per run and server. */
  private async installationOf(server: string): Promise<string> {
    const known = this.installations.get(server);
    if (known) return known;
    const transport = await this.options.connect(server, undefined);
    try {
      const { installationId } = await this.call(transport, 'getServerInfo', {});
      this.installations.set(server, installationId);
      return installationId;
    } finally {
      await transport.close().catch(() => undefined);
    }
  }

  private async register(server: string, installationId: string): Promise<PollerIdentity> {
    const { location, name, token } = this.options;
    const transport = await this.options.connect(server, undefined);
    try {
      const params: ParamsOf<'registerLocationMonitor'> = { location, name, details: this.options.details ?? {} };
      if (token !== undefined) params.token = token;
      const answer = await this.call(transport, 'registerLocationMonitor', params);
      const identity: PollerIdentity = { installationId, servers: [server], location, name, monitorId: answer.monitorId, secret: answer.secret };
      this.state.identities.push(identity);
      await this.store.save(this.state);
      this.status = answer.status;
      this.log.info(
        `registered at location "${location}" with ${server} as monitor ${answer.monitorId}` +
          (answer.status === 'PENDING' ? '; waiting for an administrator to approve it' : ''),
      );
      return identity;
    } finally {
      await transport.close().catch(() => undefined);
    }
  }

  /** pollerStarting, waiting for approval as long as it takes, then the package. */
  private async startPolling(session: Session): Promise<void> {
    let waitingLogged = false;
    for (;;) {
      try {
        const answer = await this.call(session.transport, 'pollerStarting', { details: this.options.details ?? {}, connection: this.connection(session) });
        this.noteStatus(answer.status);
        this.started.add(session.installationId);
        this.log.info(`started (status ${answer.status})`);
        break;
      } catch (err) {
        if (!(err instanceof RpcCallError && err.code === ErrorCode.MonitorPending) || this.stopping) throw err;
        this.status = 'PENDING';
        if (!waitingLogged) this.log.info('waiting for an administrator to approve this monitor');
        waitingLogged = true;
        await this.checkInWake.sleep(this.options.approvalRetryMs ?? 5_000);
        if (this.stopping) return;
      }
    }
    await this.refreshPackage(session);
  }

  /** What the backend is told about the connection; the arrival only once. */
  private connection(session: Session): Connection {
    const active = this.servers.active();
    const connection: Connection = { server: session.server, role: active?.role ?? 'home' };
    if (session.arrival) {
      connection.arrival = session.arrival;
      if ((session.arrival === 'switchover' || session.arrival === 'switchback') && this.servers.switchedFrom) connection.switchedFrom = this.servers.switchedFrom;
      session.arrival = undefined;
    }
    return connection;
  }

  // ---- the lanes of a session ----

  /** Runs the session's lanes until one fails, the connection closes, or the poller stops. */
  private async serve(): Promise<void> {
    const session = this.session!;
    const lanes = [this.checkInLane(session), this.reportLane(session)];
    if (this.options.servers.length > 1) lanes.push(this.homeProbeLane(session));
    try {
      await Promise.all(lanes);
    } catch (err) {
      // The first failure ends the session; the other lanes see it closed and end too.
      session.closed = true;
      this.checkInWake.wake();
      this.reportWake.wake();
      this.idleWake.wake();
      await Promise.allSettled(lanes);
      throw err;
    }
  }

  private alive(session: Session): boolean {
    return !this.stopping && !session.closed && this.session === session;
  }

  private async checkInLane(session: Session): Promise<void> {
    while (this.alive(session)) {
      this.checkInDue = false;
      await this.checkIn(session);
      const intervalMs = this.settings?.checkInIntervalMs ?? DEFAULT_CHECK_IN_INTERVAL_MS;
      if (!this.checkInDue) await this.checkInWake.sleep(intervalMs);
    }
    if (!this.stopping && this.session === session) throw new TransportError(`connection to ${session.server} lost`);
  }

  private async reportLane(session: Session): Promise<void> {
    const batchSize = this.options.reportBatchSize ?? 1_000;
    while (this.alive(session)) {
      const sent = await this.sendBatch(session, batchSize);
      if (sent === 0 && this.alive(session)) await this.reportWake.sleep(REPORT_IDLE_WAIT_MS);
    }
  }

  /** While on a standby: try home every switchback interval; when it answers, end this session to go home. */
  private async homeProbeLane(session: Session): Promise<void> {
    while (this.alive(session)) {
      if (this.servers.homeProbeDue()) {
        const answered = await this.probeHome();
        this.servers.homeProbed(answered);
        if (answered && this.alive(session)) {
          this.log.info(`home server ${this.servers.home} answers again: switching back`);
          await this.flushFor(session, FINAL_FLUSH_MS).catch(() => undefined);
          throw new RestartSession();
        }
      }
      if (!this.servers.active() || this.servers.active()!.role === 'home') return;
      await this.idleWake.sleep(Math.min(5_000, this.options.switchbackIntervalMs ?? 60_000));
    }
  }

  private async probeHome(): Promise<boolean> {
    try {
      const transport = await this.options.connect(this.servers.home, undefined);
      try {
        await this.call(transport, 'getServerInfo', {});
        return true;
      } finally {
        await transport.close().catch(() => undefined);
      }
    } catch (err) {
      this.log.debug(`home server ${this.servers.home} still does not answer: ${(err as Error).message}`);
      return false;
    }
  }

  private async checkIn(session: Session): Promise<void> {
    const answer = await this.call(session.transport, 'pollerCheckingIn', {
      configVersion: this.packageVersion,
      stats: this.stats(),
      connection: this.connection(session),
    });
    const previous = this.status;
    this.noteStatus(answer.status);
    this.log.debug(`checked in: ${answer.status}`);
    switch (answer.status) {
      case 'STARTED':
        this.confirmPackage();
        if (previous === 'PAUSED') await this.refreshPackage(session);
        break;
      case 'CONFIG_CHANGED':
      case 'PAUSED':
        await this.refreshPackage(session);
        break;
      case 'REGISTERED':
        // The backend does not consider us started: call pollerStarting again.
        this.started.delete(session.installationId);
        throw new RestartSession();
      case 'DELETED':
        this.log.warn('this monitor was deleted by an administrator; registering again');
        await this.forgetIdentity(session.identity);
        throw new RestartSession();
      case 'STOPPED':
        throw new FatalPollerError('the backend says this monitor is stopped; exiting', 'stopped-by-backend');
      case 'PENDING':
      case 'DISCONNECTED':
        this.log.warn(`unexpected check-in answer ${answer.status}; carrying on`);
        break;
    }
  }

  /** Sends one batch of spooled results; returns how many were sent. */
  private async sendBatch(session: Session, batchSize: number): Promise<number> {
    const batch = await this.spool.nextBatch(batchSize);
    if (batch.length === 0) return 0;
    try {
      const { ackedSeq } = await this.call(session.transport, 'reportResults', { results: batch });
      const lastSent = batch.at(-1)!.seq;
      if (ackedSeq > this.spool.stats().nextSeq - 1) {
        // The backend holds higher numbers than ours (our spool was lost or restored from a backup): number after them.
        this.log.warn(`backend acknowledged seq ${ackedSeq}, beyond ours; numbering results from ${ackedSeq + 1}`);
        this.spool.skipTo(ackedSeq);
      }
      this.spool.acknowledge(Math.max(ackedSeq, lastSent));
    } catch (err) {
      if (!(err instanceof RpcCallError)) throw err;
      const foreign = err.code === ErrorCode.Forbidden ? (err.data as { serviceIds?: string[] })?.serviceIds : undefined;
      const outsideClock = err.code === ErrorCode.InvalidParams ? (err.data as { seqs?: number[] })?.seqs : undefined;
      if (foreign?.length) {
        this.spool.discardServices(foreign);
        this.log.warn(`dropping results for services no longer in our package: ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}`);
        this.checkInDue = true;
        this.checkInWake.wake();
      } else if (outsideClock?.length) {
        // They would be refused again on every attempt: is this machine's clock right?
        this.spool.discardSeqs(outsideClock);
        this.log.warn(`dropping ${outsideClock.length} results the backend refuses for their timestamps: ${err.message}`);
      } else {
        throw err;
      }
    }
    return batch.length;
  }

  /** Sends what is spooled, for at most `budgetMs` (a clean stop, a switchback). */
  private async flushFor(session: Session, budgetMs: number): Promise<void> {
    await this.spool.commit();
    const deadline = this.clock.now() + budgetMs;
    while (!session.closed && this.clock.now() < deadline) {
      if ((await this.sendBatch(session, this.options.reportBatchSize ?? 1_000)) === 0) return;
    }
  }

  // ---- the package ----

  private async refreshPackage(session: Session): Promise<void> {
    const answer = await this.call(session.transport, 'getPollingPackage', { knownVersion: this.packageVersion || undefined });
    if ('notModified' in answer) {
      this.confirmPackage();
      return;
    }
    const confirmedAt = this.clock.now();
    this.packages.save({ version: answer.version, package: answer.package, settings: answer.settings, confirmedAt });
    this.applyPackage(answer.version, answer.package, answer.settings, confirmedAt);
  }

  /** At start, before any server answers: the last good package, if it is not too old. */
  private pollStoredPackage(): void {
    const stored = this.packages.load();
    if (!stored) return;
    const maxAgeMs = this.options.packageMaxAgeMs ?? DEFAULT_PACKAGE_MAX_AGE_MS;
    const ageMs = this.clock.now() - stored.confirmedAt;
    const when = new Date(stored.confirmedAt).toISOString();
    if (ageMs > maxAgeMs) {
      this.log.warn(`the stored package (version ${stored.version}, of ${when}) is older than ${describeMs(maxAgeMs)}: not polling it until the backend answers`);
      this.packageVersion = stored.version;
      return;
    }
    this.log.info(`polling the stored package of ${when} (version ${stored.version}, ${stored.package.services.length} services) until the backend answers`);
    this.applyPackage(stored.version, stored.package, stored.settings, stored.confirmedAt);
    this.watchPackageAge();
  }

  private applyPackage(version: string, pkg: PollingPackage, settings: PollerSettings, confirmedAt: number): void {
    this.applySettings(settings);
    // The package itself is dropped: only these compact copies stay for as long as it is in force.
    const services = compactServices(pkg.services);
    const checks = new CheckPreparer(this.options.monitors ?? builtInMonitors, settings.defaultTimeoutMs);
    this.scheduler.setServices(
      services.map((service): ScheduledService => {
        const { serviceId, intervalMs } = service;
        return { serviceId, intervalMs, service, check: checks.prepare(service) };
      }),
    );
    this.currentServices = services;
    this.spool.keepOnly(new Set(services.map((s) => s.serviceId)));
    // setServices put every service back on its own interval: re-apply the
    // downtime model to those still down. A suspended one gets one more check
    // (it came back in a new package); its result decides again.
    this.downtime.retain(services.map((s) => s.serviceId));
    const nowMs = this.clock.now();
    for (const service of services) {
      const effective = this.downtime.effectiveAt(service, nowMs);
      if ('intervalMs' in effective) this.scheduler.setEffectiveInterval(service.serviceId, effective.intervalMs);
    }
    this.scheduler.start();
    // After this turn nothing holds the package as it came: its garbage goes now.
    if (services.length >= LARGE_PACKAGE_SERVICES) setTimeout(collectGarbage, 1_000).unref();
    this.pollingStopped = false;
    const verb = this.packageVersion === '' || this.packageVersion === version ? '' : this.pausedPackage ? 'resumed: ' : 'configuration changed: ';
    this.packageVersion = version;
    this.packageConfirmedAt = confirmedAt;
    this.pausedPackage = services.length === 0 && this.status === 'PAUSED';
    if (this.pausedPackage) {
      this.log.info('paused by an administrator: polling nothing until resumed');
    } else {
      this.log.info(`${verb}polling ${services.length} service${services.length === 1 ? '' : 's'} of package "${pkg.name}" (version ${version})`);
    }
  }

  private noteStatus(status: MonitorStatus): void {
    this.status = status;
    // A paused monitor's package is empty; so is the one stored while it was paused.
    if (status === 'PAUSED' && this.currentServices.length === 0) this.pausedPackage = true;
  }

  private applySettings(settings: PollerSettings): void {
    this.settings = settings;
    this.spool.setLimits({ maxAgeMs: settings.spoolMaxAgeMs, maxBytes: settings.spoolMaxBytes });
    this.scheduler.setParallelTasks(settings.parallelTasks);
    this.log.setLevel(settings.logLevel);
  }

  /** The backend said the package in force is current. */
  private confirmPackage(): void {
    if (!this.packageVersion) return;
    this.packageConfirmedAt = this.clock.now();
    this.packages.confirm(this.packageVersion, this.packageConfirmedAt);
    if (this.pollingStopped) {
      const stored = this.packages.load();
      if (stored && stored.version === this.packageVersion) this.applyPackage(stored.version, stored.package, stored.settings, this.packageConfirmedAt);
    }
  }

  /** Polling a stored package: stop once the backend has not confirmed it for package-max-age. */
  private watchPackageAge(): void {
    const maxAgeMs = this.options.packageMaxAgeMs ?? DEFAULT_PACKAGE_MAX_AGE_MS;
    this.maxAgeTimer ??= setInterval(() => {
      if (this.pollingStopped || this.stopping || this.clock.now() - this.packageConfirmedAt <= maxAgeMs) return;
      this.pollingStopped = true;
      this.scheduler.setServices([]);
      this.log.error(
        `the backend has not confirmed the package for ${describeMs(maxAgeMs)} (since ${new Date(this.packageConfirmedAt).toISOString()}): ` +
          'polling stopped until it answers (--package-max-age)',
      );
    }, Math.min(60_000, Math.max(1_000, Math.floor(maxAgeMs / 10)))).unref();
  }

  // ---- checks ----

  /** Runs one check and appends its result to the spool. */
  private async check({ service, check }: ScheduledService): Promise<void> {
    const outcome = await check.run();
    this.checksDone++;
    this.options.metrics?.checkDone(service.monitor, outcome.status);
    const timestamp = this.clock.now();
    this.spool.add(service.serviceId, timestamp, outcome);
    // A service removed while its check ran must not leave a down period behind for when it comes back.
    if (this.scheduler.has(service.serviceId)) {
      this.applyDowntime(service, this.downtime.observe(service, outcome.status, timestamp), timestamp);
    }
  }

  /** Applies the downtime model's verdict after a check, logging when it changes the schedule. */
  private applyDowntime(service: PolledService, effective: EffectiveInterval, nowMs: number): void {
    const intervalMs = 'intervalMs' in effective ? effective.intervalMs : null;
    if (!this.scheduler.setEffectiveInterval(service.serviceId, intervalMs)) return;
    const since = this.downtime.downSince(service.serviceId);
    const downFor = since === undefined ? '' : `down for ${((nowMs - since) / 3_600_000).toFixed(1)} h`;
    const name = `${service.serviceName} on ${service.nodeLabel || service.host} (${service.serviceId})`;
    if (intervalMs === null) {
      this.log.info(`${name} has been ${downFor}: polling it stopped (downtime model)`);
    } else {
      this.log.debug(`${name} ${downFor || 'is up'}: polling it every ${intervalMs / 1000} s (downtime model)`);
    }
  }

  // ---- hints, failures ----

  private onHint(method: string, params: unknown): void {
    try {
      if (method === 'configurationChanged') {
        const { version } = parseNotification('configurationChanged', params);
        this.log.info(`backend announced configuration version ${version}`);
      } else if (method === 'statusChanged') {
        const { status } = parseNotification('statusChanged', params);
        this.log.info(`backend announced status ${status}`);
      } else {
        return;
      }
    } catch (err) {
      this.log.warn(`ignoring a malformed ${method} notification: ${(err as Error).message}`);
      return;
    }
    this.checkInDue = true;
    this.checkInWake.wake();
  }

  /** Decides what a failed session means; returns an exit reason when the poller must stop. */
  private async recover(err: unknown): Promise<PollerExit | undefined> {
    if (err instanceof FatalPollerError) {
      this.log.error(err.message);
      return err.exit;
    }
    if (err instanceof ServerCertificateError) {
      // Not transient: retrying would meet the same certificate, and nothing weaker is ever tried.
      this.log.error(err.message);
      return 'fatal';
    }
    if (err instanceof RpcCallError) {
      switch (err.code) {
        case ErrorCode.MonitorDeleted:
          this.log.warn('this monitor was deleted by an administrator; registering again');
          await this.forgetIdentityOf(this.servers.target().url);
          return this.backoff();
        case ErrorCode.NotAuthenticated:
          this.log.warn(`the backend does not know our credentials (${err.message}); registering again`);
          await this.forgetIdentityOf(this.servers.target().url);
          return this.backoff();
        case ErrorCode.Forbidden:
          this.log.error(`the backend refuses this monitor: ${err.message}`);
          return 'denied';
        case ErrorCode.CredentialsRevoked:
          // Final, like Grafana SM's PermissionDenied: the identity is kept, so a restart meets the same answer.
          this.log.error(
            `${err.message}: stopping, and this poller will not register again ` +
              `(if an administrator allows it back, delete ${this.options.stateDir} and start it anew)`,
          );
          return 'revoked';
        case ErrorCode.NoSuchLocation:
          this.log.error(`${err.message}: check --location against the backend's locations`);
          return 'fatal';
        case ErrorCode.Overloaded: {
          const retryAfterMs = (err.data as { retryAfterMs?: number })?.retryAfterMs ?? 5_000;
          this.log.warn(`backend overloaded (${err.message}); retrying in ${retryAfterMs} ms`);
          await this.idleWake.sleep(retryAfterMs);
          return undefined;
        }
        default:
          this.log.error(`backend answered error ${err.code}: ${err.message}`);
          return this.backoff();
      }
    }
    if (err instanceof TransportError) {
      this.log.warn(`disconnected from the backend: ${err.message}`);
      return this.backoff();
    }
    this.log.error(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return this.backoff();
  }

  /** Waits before the next attempt to connect. */
  private async backoff(): Promise<undefined> {
    const delayMs = this.reconnectBackoff.next();
    this.log.info(`connecting to ${this.servers.target().url} in ${delayMs} ms`);
    await this.idleWake.sleep(delayMs);
    return undefined;
  }

  private async forgetIdentityOf(server: string): Promise<void> {
    const installationId = this.installations.get(server);
    const identity = installationId ? identityFor(this.state, installationId, server, this.options.location, this.options.name) : undefined;
    if (identity) await this.forgetIdentity(identity);
  }

  /** The backend no longer knows this identity: drop it and what was spooled for it; register again. */
  private async forgetIdentity(identity: PollerIdentity): Promise<void> {
    this.state.identities = this.state.identities.filter((i) => i !== identity);
    if (identity.installationId) this.started.delete(identity.installationId);
    this.packageVersion = '';
    this.status = 'UNREGISTERED';
    this.scheduler.setServices([]);
    this.currentServices = [];
    await this.spool.discardAll();
    await this.store.save(this.state);
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    session.closed = true;
    await session.transport.close().catch(() => undefined);
  }

  private stats(): Record<string, number> {
    const s = this.scheduler.stats();
    const spool = this.spool.stats();
    return {
      services: s.services,
      checksStarted: s.started,
      checksDone: this.checksDone,
      checksSkipped: s.skipped,
      servicesSuspended: s.suspended,
      running: s.running,
      queued: s.queued,
      lateMsP50: s.lateMsP50,
      lateMsP99: s.lateMsP99,
      monitorErrors: this.monitorErrors,
      spooled: spool.records,
      spoolBytes: spool.bytes,
      spoolDropped: spool.dropped,
      spoolOldestAgeMs: spool.oldestTimestampMs === undefined ? 0 : Math.max(0, this.clock.now() - spool.oldestTimestampMs),
      reconnects: this.reconnects,
      clockMs: this.clock.now(),
    };
  }

  private async call<M extends MethodName>(transport: Transport, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return parseResult(method, await transport.call(method, params));
  }
}

function describeMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  return `${Math.round(ms / 1000)} s`;
}
