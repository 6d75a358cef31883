/**
 * Composes the backend: configuration, database, event bus, the monitor
 * lifecycle and ingest services, the JSON-RPC endpoints (WebSocket and
 * HTTP), the REST API and the disconnect sweeper, on one port: HTTP, or
 * HTTPS when TLS is configured. With several instances on one PostgreSQL
 * database: this instance's registration and heartbeat, its poller
 * connections in the database, and the relay of events between instances.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { EventBus } from '@vantage/events';
import { createLogger, PeriodicTask, type Logger } from '@vantage/runtime';
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import { registerAuditHooks } from './audit/audit-hooks.ts';
import { registerAuth } from './auth/auth-routes.ts';
import { AuthService } from './auth/auth-service.ts';
import { startFirstAdminPassword } from './auth/first-admin.ts';
import { UserStore } from './auth/user-store.ts';
import { PasswordGate } from './auth/password-gate.ts';
import { InstanceRegistry, newInstanceIdentity, INSTANCE_EXPIRY_MS, type InstanceIdentity } from './cluster/instances.ts';
import { LeaderJob, Leadership } from './cluster/leadership.ts';
import { PgNotifications } from './cluster/pg-notifications.ts';
import { ClusterPollerHints } from './cluster/poller-hints.ts';
import { configurationDigest, SharedConfiguration } from './cluster/shared-configuration.ts';
import { monitorConnections, PollerConnectionStore } from './cluster/poller-connections.ts';
import { ConfigHolder } from './config/config-holder.ts';
import { ConfigReloader } from './config/config-reloader.ts';
import { parsePollingConfigText, readPollingConfigText } from './config/load-config.ts';
import { Database } from './db/database.ts';
import { holdsDatabase } from './db/embedded-database.ts';
import { EmbeddedMaintenance } from './db/embedded-maintenance.ts';
import { readInstallationId } from './db/installation.ts';
import { frameworkErrorAnswer, registerErrorAnswers } from './http/error-answers.ts';
import { registerOriginFormOnly } from './http/request-target.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { ResultIngest } from './ingest/result-ingest.ts';
import { createBackendMetrics } from './metrics/backend-metrics.ts';
import { registerMetricsRoute } from './metrics/metrics-route.ts';
import { announceConfiguration } from './location-monitors/announce-configuration.ts';
import { BlockedAddressStore } from './location-monitors/blocked-addresses.ts';
import { DistributedRebalance } from './location-monitors/distributed-rebalance.ts';
import { LocationMonitorService } from './location-monitors/location-monitor-service.ts';
import { RegistrationAdmission } from './location-monitors/registration-admission.ts';
import { DEFAULT_REGISTRATION_LIMITS, type RegistrationLimits } from './location-monitors/registration-limits.ts';
import { RegistrationTokenStore } from './location-monitors/registration-tokens.ts';
import { requireDeclaredRole } from './rest/route-roles.ts';
import { registerRestRoutes } from './rest/routes.ts';
import { ConnectionRegistry } from './rpc/connections.ts';
import { registerHttpRpc } from './rpc/http-endpoint.ts';
import { RpcMessages } from './rpc/rpc-messages.ts';
import { createRpcServer } from './rpc/rpc-server.ts';
import { attachWsEndpoint } from './rpc/ws-endpoint.ts';
import { serverLimits, TIMEOUT_CHECK_INTERVAL_MS, type ServerLimits } from './server-limits.ts';
import { clearedAlarmCleanup } from './alarms/alarm-cleanup.ts';
import { DEFAULT_CLEARED_ALARM_RETENTION_MS } from './alarms/alarm-store.ts';
import { logEvents } from './event-store/event-log.ts';
import { EventRecorder } from './event-store/event-recorder.ts';
import { EventRelay } from './event-store/event-relay.ts';
import { startNotifications } from './notifications/notifications.ts';
import { listNotifications } from './notifications/outbox-store.ts';
import { matchingSinks } from './notifications/rules.ts';
import { exportResultsToInflux } from './series/influx/export-results.ts';
import { InfluxWriter } from './series/influx/influx-writer.ts';
import { ResponseTimeRollup } from './series/rollup.ts';
import { BackendTls, type TlsSettings, type TlsStatus } from './tls/backend-tls.ts';

export interface BackendOptions {
  configPath: string;
  port: number;
  host?: string;
  /** `postgres://…`; otherwise the embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  log?: Logger;
  /** Reload the configuration when its file changes (default true). */
  watchConfig?: boolean;
  /** How long cleared alarms are kept before they are deleted (default 3 days). */
  clearedAlarmRetentionMs?: number;
  /** Notification delivery: attempts before a dead letter, and the backoff between them. */
  notificationRetry?: { maxAttempts?: number; initialMs?: number; maxMs?: number };
  /** The first user's password; otherwise one is generated and printed once. */
  adminPassword?: string;
  /** Believe X-Forwarded-* headers (behind a reverse proxy that sets them). */
  trustProxy?: boolean;
  /** Also write response times to InfluxDB (v2 write API). */
  influx?: { url: string; token?: string; org: string; bucket: string };
  /** Serve HTTPS and WSS: certificate files, or a self-signed certificate kept in `dataDir/tls`. Plain HTTP without it. */
  tls?: TlsSettings;
  /** Limits on registerLocationMonitor other than the defaults (location-monitors/registration-limits.ts); for tests. */
  registrationLimits?: Partial<RegistrationLimits>;
  /** Bounds on connections and request times; each defaults to DEFAULT_SERVER_LIMITS. */
  limits?: Partial<ServerLimits>;
  /** A bearer token that opens GET /metrics (and nothing else) to a scraper; without it /metrics needs a user's credentials. */
  scrapeToken?: string;
}

/** Request bodies of the REST API (JSON of a few fields); /rpc has its own bounds. */
const REST_BODY_LIMIT_BYTES = 1024 * 1024;
/** How long the start waits for the LISTEN connection that relays other instances' events (then it goes on, and the relay catches up once listening). */
const FIRST_LISTEN_WAIT_MS = 10_000;

export interface Backend {
  /** http://… or, with TLS, https://… */
  url: string;
  port: number;
  /** This process among the instances on its database. */
  instance: InstanceIdentity;
  /** The periodic jobs this instance leads now (`leadership.roles()`); every instance's in GET /api/instances. */
  leadership: Leadership;
  /** The certificate in service when the backend serves TLS. */
  tls: TlsStatus | undefined;
  db: Database;
  bus: EventBus;
  monitors: LocationMonitorService;
  tokens: RegistrationTokenStore;
  rpc: ReturnType<typeof createRpcServer>;
  connections: ConnectionRegistry;
  configs: ConfigHolder;
  reloader: ConfigReloader;
  /** Every route the HTTP server answers, as "METHOD /path". */
  routes: readonly string[];
  log: Logger;
  close(): Promise<void>;
}


export async function startBackend(options: BackendOptions): Promise<Backend> {
  const log = options.log ?? createLogger('vantage');
  const limits = serverLimits(options.limits);
  const host = options.host ?? '0.0.0.0';
  // The port is known before listening except for port 0 (tests), where ${backend.port} is not meaningful.
  const variables = { 'backend.port': String(options.port || 8980) };
  const configText = await readPollingConfigText(options.configPath);
  const config = parsePollingConfigText(configText, options.configPath, variables);
  const configs = new ConfigHolder(config);
  // Before the database: a certificate problem should stop the start at once, naming the file.
  const backendTls = options.tls ? await BackendTls.load(options.tls, options.dataDir, log.child('tls')) : undefined;
  const dbDir = `${options.dataDir}/db`;
  // A new embedded data folder gets the admin for sure: its password hashes in the thread pool while PGlite starts.
  const adminPasswordAhead = !options.databaseUrl && !holdsDatabase(dbDir) ? startFirstAdminPassword(options.adminPassword) : undefined;
  const db = await Database.open({ url: options.databaseUrl, dataDir: dbDir });
  log.info(`database: ${db.description}`);

  const bus = new EventBus((name, event, err) => log.error(`event subscriber "${name}" failed on event ${event.id} (${event.uei}): ${String(err)}`));
  // Several instances need PostgreSQL; on the embedded database this process is the only one, and its bus sees every event.
  const listen = options.databaseUrl ? new PgNotifications(options.databaseUrl, log.child('listen')) : undefined;
  const relay = listen ? new EventRelay(db, bus, log.child('relay')) : undefined;
  if (listen && relay) {
    relay.attach(listen);
    listen.start();
  }
  logEvents(bus, log.child('events'), (id) => relay?.isRelayed(id) ?? false);
  const connections = new ConnectionRegistry();
  // An operator's action here reaches the monitor's poller whichever instance it is connected to.
  const hints = new ClusterPollerHints(connections, db, log.child('hints'));
  const unfollowHints = listen ? hints.attach(listen) : undefined;
  const recorder = new EventRecorder((event) => matchingSinks(configs.config.notificationRules, event), Date.now, relay);
  const tokens = new RegistrationTokenStore(db, recorder, bus, log.child('registration'));
  const auth = new AuthService(db, new PasswordGate({ log: log.child('auth') }));
  // What the first instance on a database creates, once: the others wait and find it done.
  // The file read at this start is the configuration in force for every instance, as a reload would make it.
  const sharedConfig = new SharedConfiguration(db, listen !== undefined);
  const admin = await db.underStartLock(async () => {
    await sharedConfig.store(configText);
    await tokens.syncWithConfiguration(config);
    return auth.ensureAdmin(() => adminPasswordAhead ?? startFirstAdminPassword(options.adminPassword));
  });
  if (admin.generatedPassword) {
    log.info(`created the user "admin" with the password ${admin.generatedPassword} (shown once: sign in and change it, or set VANTAGE_ADMIN_PASSWORD before the first start)`);
  } else if (admin.created) {
    log.info('created the user "admin" with the password from VANTAGE_ADMIN_PASSWORD');
  }
  // Failures are logged by the store; a later reload tries again.
  configs.onReplaced((replaced) => void tokens.syncWithConfiguration(replaced).catch(() => undefined));
  const blocked = new BlockedAddressStore(db);
  const admission = new RegistrationAdmission({ ...DEFAULT_REGISTRATION_LIMITS, ...options.registrationLimits }, tokens, blocked);
  const monitors = new LocationMonitorService(db, configs, bus, listen ? hints : connections, recorder, { admission, blocked });
  const ingest = new ResultIngest(db, configs, bus, recorder, Date.now, { log: log.child('ingest') });
  // `distribute` locations: hand-off, minimum online and hints after each change of their members.
  const rebalance = new DistributedRebalance(db, configs, recorder, bus, listen ? hints : connections, log.child('distribute'));
  monitors.onMembershipChanged(async (location) => void (await rebalance.rebalance(location)));
  configs.onReplaced(() => void rebalance.rebalanceAll({ onlyChanged: true }));
  await rebalance.rebalanceAll();
  const rpc = createRpcServer(monitors, ingest, await readInstallationId(db), log.child('rpc'));

  const influx = options.influx
    ? new InfluxWriter({ ...options.influx, spoolDir: `${options.dataDir}/influx-spool`, log: log.child('influx') })
    : undefined;
  if (influx) {
    log.info(`response times also go to InfluxDB at ${options.influx!.url} (bucket ${options.influx!.bucket})`);
    exportResultsToInflux(ingest, configs, influx);
  }
  const reloader = new ConfigReloader(
    options.configPath,
    variables,
    configs,
    // Only this instance's pollers: every instance announces a new configuration to its own.
    announceConfiguration(configs, monitors, connections),
    log.child('config'),
    configurationDigest(configText),
    sharedConfig,
  );
  // A reload on another instance: its configuration in force here too, and this instance's pollers told.
  const unfollowConfig = listen ? sharedConfig.follow(listen, (stored) => reloader.adopt(stored), log.child('config')) : undefined;

  // One server of ours, plain or TLS, with the request-time bounds on both (Fastify's own options reach only one of them).
  const httpServerOptions: http.ServerOptions = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
  const app = Fastify({
    logger: false,
    bodyLimit: REST_BODY_LIMIT_BYTES,
    trustProxy: options.trustProxy ?? false,
    frameworkErrors: frameworkErrorAnswer(log.child('http')),
    serverFactory: (handler) =>
      backendTls
        ? (https.createServer({ ...backendTls.serverOptions, ...httpServerOptions }, handler) as unknown as http.Server)
        : http.createServer(httpServerOptions, handler),
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      requireDeclaredRole(method, route.url, route.config?.public === true);
      routes.push(`${method} ${route.url}`);
    }
  });
  // Hooks run in this order: headers, then the target's form, then cookies and sign-in.
  registerSecurityHeaders(app);
  registerOriginFormOnly(app);
  registerErrorAnswers(app, log.child('http'));
  await app.register(fastifyCookie);
  registerAuth(app, auth, { scrapeToken: options.scrapeToken });
  registerAuditHooks(app, db, log.child('audit'));
  // Elected once this instance knows its id (after listening, below); until then it leads nothing.
  const election: { leadership?: Leadership } = {};
  const leaderRoles = { entries: () => election.leadership?.entries() ?? [] };
  registerMetricsRoute(app, createBackendMetrics({ db, ingest, leaderRoles, instanceExpiryMs: INSTANCE_EXPIRY_MS }));
  const messages = new RpcMessages(rpc, log.child('rpc'));
  registerHttpRpc(app, messages, monitors, log.child('rpc'));
  // Known once listening (below); the routes answer nothing of it before.
  const self: { instance?: InstanceIdentity; registry?: InstanceRegistry } = {};
  registerRestRoutes(app, {
    db,
    configs,
    monitors,
    tokens,
    blocked,
    reloader,
    outbox: { list: (state, limit) => listNotifications(db, state, limit) },
    bus,
    ingest,
    users: new UserStore(db, () => auth.forgetCredentials()),
    tls: backendTls,
    connectionsOf: (ids) => monitorConnections(db, INSTANCE_EXPIRY_MS, ids),
    log,
    instances: async () => (await self.registry?.list()) ?? [],
    instanceId: () => self.instance?.id,
  });

  if (relay && !(await relay.listeningWithin(FIRST_LISTEN_WAIT_MS))) {
    log.warn(`not yet listening for other instances' events after ${FIRST_LISTEN_WAIT_MS} ms: starting anyway; they reach this instance's live views once the LISTEN connection is up`);
  }
  try {
    await app.listen({ port: options.port, host });
  } catch (err) {
    await listen?.close();
    await db.close();
    throw new Error(`cannot listen on ${host}:${options.port}: ${(err as Error).message}`, { cause: err });
  }
  const port = (app.server.address() as AddressInfo).port;
  // The instance id names the port it serves, known only now (port 0 in tests); no poller connection or claim exists before.
  const instance = newInstanceIdentity(host, port);
  const registry = new InstanceRegistry(db, instance, { log: log.child('instances'), exclusive: !options.databaseUrl });
  Object.assign(self, { instance, registry });
  try {
    await registry.start();
  } catch (err) {
    await app.close();
    await listen?.close();
    await db.close();
    throw new Error(`cannot register this instance in the database: ${(err as Error).message}`, { cause: err });
  }
  log.info(`instance ${instance.id}`);
  const connectionStore = new PollerConnectionStore(db, instance.id, log.child('connections'));
  registry.onRegisteredAgain(() => connectionStore.reassert());
  connections.track(connectionStore);
  const { dispatcher } = startNotifications(db, configs, bus, options.notificationRetry ?? {}, instance.id, log.child('notifications'));
  if (backendTls) {
    backendTls.attach(app.server as unknown as tls.Server);
    backendTls.watch();
  }
  const ws = attachWsEndpoint(app.server, { messages, monitors, connections, limits, trustProxy: options.trustProxy ?? false, log: log.child('ws') });

  // Every instance runs the timers; only each job's leader does the work (cluster/leadership.ts).
  const leadership = new Leadership(db, instance.id, Object.values(LeaderJob), log.child('leader'), { exclusive: !options.databaseUrl });
  election.leadership = leadership;
  await leadership.start();
  const sweepEveryMs = Math.max(250, Math.min(5_000, Math.floor(config.settings.disconnectTimeoutMs / 5)));
  const sweeper = new PeriodicTask('disconnect sweep', sweepEveryMs, leadership.whenLeading(LeaderJob.disconnectSweep, () => monitors.sweepDisconnected()), log);
  sweeper.start();
  const alarmCleanup = clearedAlarmCleanup(db, options.clearedAlarmRetentionMs ?? DEFAULT_CLEARED_ALARM_RETENTION_MS, log, () => leadership.leads(LeaderJob.clearedAlarmCleanup));
  alarmCleanup.start();
  const rollup = new ResponseTimeRollup(db, { log: log.child('series') });
  const rollupTask = rollup.task(log.child('series'), undefined, () => leadership.leads(LeaderJob.responseTimeRollup));
  rollupTask.start();
  const maintenanceTask = db.embedded ? new EmbeddedMaintenance(db, log.child('db')).task() : undefined;
  maintenanceTask?.start();
  if (options.watchConfig !== false) reloader.watch();

  const url = `${backendTls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  return {
    url,
    port,
    instance,
    leadership,
    tls: backendTls,
    db,
    bus,
    monitors,
    tokens,
    rpc,
    connections,
    configs,
    log,
    reloader,
    routes,
    async close() {
      unfollowConfig?.();
      unfollowHints?.();
      await reloader.close();
      await backendTls?.close();
      await dispatcher.close();
      await influx?.close();
      await alarmCleanup.stop();
      rollup.stop();
      await rollupTask.stop();
      await maintenanceTask?.stop();
      await sweeper.stop();
      await leadership.stop();
      await ws.close();
      await app.close();
      await rebalance.idle();
      await connectionStore.close();
      // Its connections go with it: other instances show its pollers disconnected at once.
      await registry.stop();
      await listen?.close();
      await bus.drain();
      await db.close();
    },
  };
}
