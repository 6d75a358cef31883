/**
 * The location monitor's main loop: register once, start, fetch the package,
 * poll it on the scheduler, report results in batches and check in on the
 * interval the backend sets, reacting to every status it answers. When the
 * backend is away the poller keeps polling with the package it has, keeps
 * results in its spool, and reconnects with backoff and jitter.
 */
import {
  ErrorCode,
  MAX_REASON_LENGTH,
  parseNotification,
  toStorableText,
  parseResult,
  type MethodName,
  type MonitorDetails,
  type MonitorStatus,
  type ParamsOf,
  type PollerSettings,
  type PolledService,
  type ResultOf,
} from '@vantage/common';
import { monitors as builtInMonitors, runCheck, type MonitorRegistry } from '@vantage/monitors';
import { Backoff, systemClock, type Clock, type Logger, WakeableSleep } from '@vantage/runtime';
import { DowntimeTracker, type EffectiveInterval } from './downtime.ts';
import { PollScheduler } from './scheduler.ts';
import { ResultSpool } from './spool.ts';
import { StateStore, type PollerIdentity, type PollerState } from './state-store.ts';
import { RpcCallError, TransportError, type Transport, type TransportFactory } from './transports/transport.ts';

export interface PollerOptions {
  /** Names the backend in the stored identity; a different server means registering anew. */
  server: string;
  location: string;
  name: string;
  token?: string;
  stateDir: string;
  connect: TransportFactory;
  log: Logger;
  details?: MonitorDetails;
  monitors?: MonitorRegistry;
  clock?: Clock;
  /** How often results are sent and the loop looks around. */
  reportIntervalMs?: number;
  reportBatchSize?: number;
  /** While waiting for approval, how often to ask again (a hint from the backend cuts it short). */
  approvalRetryMs?: number;
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

/** Why the poller stopped by itself. */
export type PollerExit = 'stopped' | 'denied' | 'stopped-by-backend' | 'fatal';

class RestartSession extends Error {}
class FatalPollerError extends Error {
  constructor(
    message: string,
    readonly exit: PollerExit,
  ) {
    super(message);
  }
}

export class Poller {
  private readonly log: Logger;
  private readonly store: StateStore;
  private readonly spool: ResultSpool;
  private readonly scheduler: PollScheduler;
  private readonly downtime = new DowntimeTracker();
  private readonly wake = new WakeableSleep();
  private readonly clock: Clock;
  private state: PollerState = { nextSeq: 1 };
  private persistedNextSeq = 1;
  private transport: Transport | undefined;
  private settings: PollerSettings | undefined;
  private packageVersion = '';
  private pausedPackage = false;
  private currentServices: readonly PolledService[] = [];
  private status: MonitorStatus | 'UNREGISTERED' = 'UNREGISTERED';
  private stopping = false;
  private started = false;
  private checkInDue = true;
  private readonly reconnectBackoff: Backoff;
  private monitorErrors = 0;
  private checksDone = 0;
  private running: Promise<PollerExit> | undefined;

  constructor(private readonly options: PollerOptions) {
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.store = new StateStore(options.stateDir);
    const initialMs = options.reconnectInitialMs ?? 1_000;
    // Full jitter, so that many pollers cut off together do not come back together.
    this.reconnectBackoff = new Backoff({ initialMs, maxMs: options.reconnectMaxMs ?? 60_000, jitter: 1, minMs: initialMs / 2 });
    this.spool = new ResultSpool({ maxAgeMs: 24 * 3_600_000, maxBytes: 64 * 1024 * 1024 }, () => this.clock.now());
    this.scheduler = new PollScheduler({
      clock: this.clock,
      parallelTasks: 50,
      runCheck: (service) => this.check(service),
      onError: (err, service) => {
        this.monitorErrors++;
        this.log.error(`check of ${service.serviceId} failed unexpectedly: ${String(err)}`);
      },
    });
  }

  /** Starts the loop; the promise resolves when the poller stops, saying why. */
  start(): Promise<PollerExit> {
    this.running ??= this.run();
    return this.running;
  }

  get currentStatus(): string {
    return this.status;
  }

  /** The services of the package in force, as the backend sent them. */
  get services(): readonly PolledService[] {
    return this.currentServices;
  }

  get monitorId(): string | undefined {
    return this.state.identity?.monitorId;
  }

  /** Clean shutdown: stop polling, send what is spooled, tell the backend, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.wake.wake();
    await this.scheduler.stop();
    await this.running;
    const transport = this.transport;
    if (transport && this.status !== 'UNREGISTERED' && this.status !== 'PENDING') {
      try {
        await this.flush(transport);
        const answer = await this.call(transport, 'pollerStopping', {});
        this.log.info(`told the backend we are stopping (status ${answer.status})`);
      } catch (err) {
        this.log.warn(`could not tell the backend we are stopping: ${(err as Error).message}`);
      }
    }
    await this.closeTransport();
  }

  private async run(): Promise<PollerExit> {
    this.state = await this.store.load();
    this.persistedNextSeq = this.state.nextSeq;
    const identity = this.state.identity;
    if (identity && (identity.server !== this.options.server || identity.location !== this.options.location || identity.name !== this.options.name)) {
      this.log.warn(
        `stored identity is for ${identity.location}/${identity.name} at ${identity.server}; registering anew as ${this.options.location}/${this.options.name}`,
      );
      this.state.identity = undefined;
    }
    while (!this.stopping) {
      try {
        await this.session();
      } catch (err) {
        if (this.stopping) break;
        const exit = await this.recover(err);
        if (exit) {
          this.stopping = true;
          await this.scheduler.stop();
          await this.closeTransport();
          return exit;
        }
      }
    }
    return 'stopped';
  }

  /** One connection's life: connect, start, then tick until something fails. */
  private async session(): Promise<void> {
    if (!this.state.identity) await this.register();
    const identity = this.state.identity!;
    await this.closeTransport();
    const transport = await this.options.connect(identity);
    this.transport = transport;
    transport.onNotification((method, params) => this.onHint(method, params));
    transport.onClose((reason) => {
      if (!this.stopping) this.log.warn(`connection to the backend closed: ${reason}`);
      this.wake.wake();
    });

    // pollerStarting once per process: after a mere reconnection a check-in is enough
    // (and reconnects a monitor the backend had marked DISCONNECTED).
    if (!this.started) await this.startPolling(transport);
    else this.checkInDue = true;
    this.reconnectBackoff.reset();
    let nextCheckInAt = 0;
    while (!this.stopping) {
      if (this.transport !== transport) throw new RestartSession();
      await this.flush(transport);
      const now = this.clock.now();
      if (this.checkInDue || now >= nextCheckInAt) {
        this.checkInDue = false;
        await this.checkIn(transport);
        nextCheckInAt = this.clock.now() + (this.settings?.checkInIntervalMs ?? 30_000);
      }
      await this.wake.sleep(Math.min(this.options.reportIntervalMs ?? 1_000, Math.max(0, nextCheckInAt - this.clock.now())));
    }
  }

  private async register(): Promise<void> {
    const { location, name, token } = this.options;
    const transport = await this.options.connect(undefined);
    try {
      const params: ParamsOf<'registerLocationMonitor'> = { location, name, details: this.options.details ?? {} };
      if (token !== undefined) params.token = token;
      const answer = await this.call(transport, 'registerLocationMonitor', params);
      const identity: PollerIdentity = { server: this.options.server, location, name, monitorId: answer.monitorId, secret: answer.secret };
      this.state = { ...this.state, identity };
      await this.store.save(this.state);
      this.status = answer.status;
      this.log.info(
        `registered at location "${location}" as monitor ${answer.monitorId}` +
          (answer.status === 'PENDING' ? '; waiting for an administrator to approve it' : ''),
      );
    } finally {
      await transport.close();
    }
  }

  /** pollerStarting, waiting for approval as long as it takes, then the first package. */
  private async startPolling(transport: Transport): Promise<void> {
    let waitingLogged = false;
    for (;;) {
      try {
        const answer = await this.call(transport, 'pollerStarting', { details: this.options.details ?? {} });
        this.status = answer.status;
        this.started = true;
        this.log.info(`started (status ${answer.status})`);
        break;
      } catch (err) {
        if (!(err instanceof RpcCallError && err.code === ErrorCode.MonitorPending) || this.stopping) throw err;
        this.status = 'PENDING';
        if (!waitingLogged) this.log.info('waiting for an administrator to approve this monitor');
        waitingLogged = true;
        await this.wake.sleep(this.options.approvalRetryMs ?? 5_000);
        if (this.stopping) return;
      }
    }
    await this.refreshPackage(transport);
  }

  private async checkIn(transport: Transport): Promise<void> {
    const stats = this.stats();
    const answer = await this.call(transport, 'pollerCheckingIn', { configVersion: this.packageVersion, stats });
    const previous = this.status;
    this.status = answer.status;
    this.log.debug(`checked in: ${answer.status}`);
    switch (answer.status) {
      case 'STARTED':
        if (previous === 'PAUSED') await this.refreshPackage(transport);
        break;
      case 'CONFIG_CHANGED':
      case 'PAUSED':
        await this.refreshPackage(transport);
        break;
      case 'REGISTERED':
        // The backend does not consider us started: call pollerStarting again.
        this.started = false;
        throw new RestartSession();
      case 'DELETED':
        this.log.warn('this monitor was deleted by an administrator; registering again');
        await this.forgetIdentity();
        throw new RestartSession();
      case 'STOPPED':
        throw new FatalPollerError('the backend says this monitor is stopped; exiting', 'stopped-by-backend');
      case 'PENDING':
      case 'DISCONNECTED':
        this.log.warn(`unexpected check-in answer ${answer.status}; carrying on`);
        break;
    }
  }

  private async refreshPackage(transport: Transport): Promise<void> {
    const answer = await this.call(transport, 'getPollingPackage', { knownVersion: this.packageVersion || undefined });
    if ('notModified' in answer) return;
    this.applySettings(answer.settings);
    const services = answer.package.services;
    this.scheduler.setServices(services);
    this.currentServices = services;
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
    const verb = this.packageVersion === '' ? '' : this.pausedPackage ? 'resumed: ' : 'configuration changed: ';
    this.packageVersion = answer.version;
    this.pausedPackage = services.length === 0 && this.status === 'PAUSED';
    if (this.pausedPackage) {
      this.log.info('paused by an administrator: polling nothing until resumed');
    } else {
      this.log.info(
        `${verb}polling ${services.length} service${services.length === 1 ? '' : 's'} ` +
          `of package "${answer.package.name}" (version ${answer.version})`,
      );
    }
  }

  private applySettings(settings: PollerSettings): void {
    this.settings = settings;
    this.spool.setLimits({ maxAgeMs: settings.spoolMaxAgeMs, maxBytes: settings.spoolMaxBytes });
    this.scheduler.setParallelTasks(settings.parallelTasks);
    this.log.setLevel(settings.logLevel);
  }

  /** Runs one check and spools its result with the next seq. */
  private async check(service: PolledService): Promise<void> {
    const outcome = await runCheck(this.options.monitors ?? builtInMonitors, service, this.settings?.defaultTimeoutMs ?? 3_000);
    const seq = this.state.nextSeq++;
    this.checksDone++;
    const result: ParamsOf<'reportResults'>['results'][number] = { seq, serviceId: service.serviceId, timestamp: this.clock.now(), status: outcome.status };
    if (outcome.responseTimeMs !== undefined) result.responseTimeMs = Math.round(outcome.responseTimeMs * 1000) / 1000;
    // A reason may quote what a server sent (a banner, a body): the backend takes only storable text of bounded length.
    if (outcome.reason !== undefined) result.reason = toStorableText(outcome.reason, MAX_REASON_LENGTH);
    if (outcome.details !== undefined) result.details = outcome.details;
    this.spool.push(result);
    // A service removed while its check ran must not leave a down period behind for when it comes back.
    if (this.scheduler.has(service.serviceId)) {
      this.applyDowntime(service, this.downtime.observe(service, outcome.status, result.timestamp), result.timestamp);
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

  /** Sends spooled results in batches until the spool is empty. */
  private async flush(transport: Transport): Promise<void> {
    const batchSize = this.options.reportBatchSize ?? 1_000;
    while (this.spool.size > 0 && !(this.stopping && this.transport !== transport)) {
      const batch = this.spool.peek(batchSize);
      // Numbers handed out must be on disk before the backend can see them, or a restart would reuse them.
      if (this.state.nextSeq > this.persistedNextSeq) {
        const nextSeq = this.state.nextSeq;
        await this.store.save(this.state);
        this.persistedNextSeq = nextSeq;
      }
      try {
        const { ackedSeq } = await this.call(transport, 'reportResults', { results: batch });
        this.spool.acknowledge(ackedSeq);
        if (ackedSeq >= this.state.nextSeq) {
          // The backend has seen higher numbers than ours (state restored from a backup): move past them.
          this.log.warn(`backend acknowledged seq ${ackedSeq}, beyond ours; continuing from ${ackedSeq + 1}`);
          this.state.nextSeq = ackedSeq + 1;
        }
      } catch (err) {
        if (!(err instanceof RpcCallError)) throw err;
        const foreign = err.code === ErrorCode.Forbidden ? (err.data as { serviceIds?: string[] })?.serviceIds : undefined;
        const outsideClock = err.code === ErrorCode.InvalidParams ? (err.data as { seqs?: number[] })?.seqs : undefined;
        if (foreign?.length) {
          const dropped = this.spool.discardServices(new Set(foreign));
          this.log.warn(`dropped ${dropped} results for services no longer in our package: ${foreign.slice(0, 5).join(', ')}`);
          this.checkInDue = true;
        } else if (outsideClock?.length) {
          // They would be refused again on every attempt: is this machine's clock right?
          const dropped = this.spool.discardSeqs(new Set(outsideClock));
          this.log.warn(`dropped ${dropped} results the backend refuses for their timestamps: ${err.message}`);
        } else {
          throw err;
        }
      }
    }
  }

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
    this.wake.wake();
  }

  /** Decides what a failed session means; returns an exit reason when the poller must stop. */
  private async recover(err: unknown): Promise<PollerExit | undefined> {
    if (err instanceof RestartSession) return undefined;
    if (err instanceof FatalPollerError) {
      this.log.error(err.message);
      return err.exit;
    }
    if (err instanceof RpcCallError) {
      switch (err.code) {
        case ErrorCode.MonitorDeleted:
          this.log.warn('this monitor was deleted by an administrator; registering again');
          await this.forgetIdentity();
          return this.backoff();
        case ErrorCode.NotAuthenticated:
          this.log.warn(`the backend does not know our credentials (${err.message}); registering again`);
          await this.forgetIdentity();
          return this.backoff();
        case ErrorCode.Forbidden:
          this.log.error(`the backend refuses this monitor: ${err.message}`);
          return 'denied';
        case ErrorCode.NoSuchLocation:
          this.log.error(`${err.message}: check --location against the backend's locations`);
          return 'fatal';
        case ErrorCode.Overloaded: {
          const retryAfterMs = (err.data as { retryAfterMs?: number })?.retryAfterMs ?? 5_000;
          this.log.warn(`backend overloaded; retrying in ${retryAfterMs} ms`);
          await this.wake.sleep(retryAfterMs);
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
    this.log.info(`reconnecting in ${delayMs} ms`);
    await this.closeTransport();
    await this.wake.sleep(delayMs);
    return undefined;
  }

  private async forgetIdentity(): Promise<void> {
    this.state = { nextSeq: 1 };
    this.persistedNextSeq = 1;
    this.started = false;
    this.packageVersion = '';
    this.status = 'UNREGISTERED';
    this.spool.acknowledge(Number.MAX_SAFE_INTEGER);
    this.scheduler.setServices([]);
    await this.store.save(this.state);
  }

  private async closeTransport(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close().catch(() => undefined);
  }

  private stats(): Record<string, number> {
    const s = this.scheduler.stats();
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
      spooled: this.spool.size,
      spoolDropped: this.spool.dropped,
      clockMs: this.clock.now(),
    };
  }

  private async call<M extends MethodName>(transport: Transport, method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    return parseResult(method, await transport.call(method, params));
  }
}
