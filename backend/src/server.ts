/**
 * Composes the backend: configuration, database, event bus, the monitor
 * lifecycle and ingest services, the JSON-RPC endpoints (WebSocket and
 * HTTP), the REST API and the disconnect sweeper, on one port: HTTP, or
 * HTTPS when TLS is configured.
 */
import type { AddressInfo } from 'node:net';
import type tls from 'node:tls';
import { EventBus } from '@vantage/events';
import { createLogger, PeriodicTask, type Logger } from '@vantage/runtime';
import fastifyCookie from '@fastify/cookie';
import Fastify from 'fastify';
import { registerAuth } from './auth/auth-routes.ts';
import { AuthService } from './auth/auth-service.ts';
import { PasswordGate } from './auth/password-gate.ts';
import { ConfigHolder } from './config/config-holder.ts';
import { ConfigReloader } from './config/config-reloader.ts';
import { loadPollingConfigFile } from './config/load-config.ts';
import { Database } from './db/database.ts';
import { readInstallationId } from './db/installation.ts';
import { frameworkErrorAnswer, registerErrorAnswers } from './http/error-answers.ts';
import { registerOriginFormOnly } from './http/request-target.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { ResultIngest } from './ingest/result-ingest.ts';
import { announceConfiguration } from './location-monitors/announce-configuration.ts';
import { BlockedAddressStore } from './location-monitors/blocked-addresses.ts';
import { DistributedRebalance } from './location-monitors/distributed-rebalance.ts';
import { LocationMonitorService } from './location-monitors/location-monitor-service.ts';
import { RegistrationAdmission } from './location-monitors/registration-admission.ts';
import { DEFAULT_REGISTRATION_LIMITS, type RegistrationLimits } from './location-monitors/registration-limits.ts';
import { RegistrationTokenStore } from './location-monitors/registration-tokens.ts';
import { registerRestRoutes } from './rest/routes.ts';
import { ConnectionRegistry } from './rpc/connections.ts';
import { registerHttpRpc } from './rpc/http-endpoint.ts';
import { createRpcServer } from './rpc/rpc-server.ts';
import { attachWsEndpoint, MAX_RPC_MESSAGE_BYTES } from './rpc/ws-endpoint.ts';
import { clearedAlarmCleanup } from './alarms/alarm-cleanup.ts';
import { DEFAULT_CLEARED_ALARM_RETENTION_MS } from './alarms/alarm-store.ts';
import { logEvents } from './event-store/event-log.ts';
import { EventRecorder } from './event-store/event-recorder.ts';
import { startNotifications } from './notifications/notifications.ts';
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
}

export interface Backend {
  /** http://… or, with TLS, https://… */
  url: string;
  port: number;
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
  const host = options.host ?? '0.0.0.0';
  // The port is known before listening except for port 0 (tests), where ${backend.port} is not meaningful.
  const variables = { 'backend.port': String(options.port || 8980) };
  const config = await loadPollingConfigFile(options.configPath, variables);
  const configs = new ConfigHolder(config);
  // Before the database: a certificate problem should stop the start at once, naming the file.
  const backendTls = options.tls ? await BackendTls.load(options.tls, options.dataDir, log.child('tls')) : undefined;
  const db = await Database.open({ url: options.databaseUrl, dataDir: `${options.dataDir}/db` });
  log.info(`database: ${db.description}`);

  const bus = new EventBus((name, event, err) => log.error(`event subscriber "${name}" failed on event ${event.id} (${event.uei}): ${String(err)}`));
  logEvents(bus, log.child('events'));
  const connections = new ConnectionRegistry();
  const recorder = new EventRecorder((event) => matchingSinks(configs.config.notificationRules, event));
  const tokens = new RegistrationTokenStore(db, recorder, bus, log.child('registration'));
  await tokens.syncWithConfiguration(config);
  // Failures are logged by the store; a later reload tries again.
  configs.onReplaced((replaced) => void tokens.syncWithConfiguration(replaced).catch(() => undefined));
  const blocked = new BlockedAddressStore(db);
  const admission = new RegistrationAdmission({ ...DEFAULT_REGISTRATION_LIMITS, ...options.registrationLimits }, tokens, blocked);
  const monitors = new LocationMonitorService(db, configs, bus, connections, recorder, { admission, blocked });
  const ingest = new ResultIngest(db, configs, bus, recorder);
  // `distribute` locations: hand-off, minimum online and hints after each change of their members.
  const rebalance = new DistributedRebalance(db, configs, recorder, bus, connections, log.child('distribute'));
  monitors.onMembershipChanged(async (location) => void (await rebalance.rebalance(location)));
  configs.onReplaced(() => void rebalance.rebalanceAll({ onlyChanged: true }));
  await rebalance.rebalanceAll();
  const rpc = createRpcServer(monitors, ingest, await readInstallationId(db), log.child('rpc'));
  const { outbox, dispatcher } = await startNotifications(db, configs, bus, options.notificationRetry ?? {}, log.child('notifications'));

  const influx = options.influx
    ? new InfluxWriter({ ...options.influx, spoolDir: `${options.dataDir}/influx-spool`, log: log.child('influx') })
    : undefined;
  if (influx) {
    log.info(`response times also go to InfluxDB at ${options.influx!.url} (bucket ${options.influx!.bucket})`);
    exportResultsToInflux(ingest, configs, influx);
  }
  const reloader = new ConfigReloader(options.configPath, variables, configs, announceConfiguration(configs, monitors, connections), log.child('config'));

  const auth = new AuthService(db, new PasswordGate({ log: log.child('auth') }));
  const admin = await auth.ensureAdmin(options.adminPassword);
  if (admin.generatedPassword) {
    log.info(`created the user "admin" with the password ${admin.generatedPassword} (shown once: sign in and change it, or set VANTAGE_ADMIN_PASSWORD before the first start)`);
  } else if (admin.created) {
    log.info('created the user "admin" with the password from VANTAGE_ADMIN_PASSWORD');
  }

  const app = Fastify({
    logger: false,
    bodyLimit: MAX_RPC_MESSAGE_BYTES,
    trustProxy: options.trustProxy ?? false,
    https: backendTls?.serverOptions ?? null,
    frameworkErrors: frameworkErrorAnswer(log.child('http')),
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  // Hooks run in this order: headers, then the target's form, then cookies and sign-in.
  registerSecurityHeaders(app);
  registerOriginFormOnly(app);
  registerErrorAnswers(app, log.child('http'));
  await app.register(fastifyCookie);
  registerAuth(app, auth);
  registerHttpRpc(app, rpc);
  registerRestRoutes(app, { db, configs, monitors, tokens, blocked, reloader, outbox, bus, tls: backendTls, isConnected: (id) => connections.isConnected(id) });

  try {
    await app.listen({ port: options.port, host });
  } catch (err) {
    await db.close();
    throw new Error(`cannot listen on ${host}:${options.port}: ${(err as Error).message}`, { cause: err });
  }
  const port = (app.server.address() as AddressInfo).port;
  if (backendTls) {
    backendTls.attach(app.server as unknown as tls.Server);
    backendTls.watch();
  }
  const ws = attachWsEndpoint(app.server, rpc, monitors, connections, log.child('ws'), options.trustProxy ?? false);

  const sweepEveryMs = Math.max(250, Math.min(5_000, Math.floor(config.settings.disconnectTimeoutMs / 5)));
  const sweeper = new PeriodicTask('disconnect sweep', sweepEveryMs, () => monitors.sweepDisconnected(), log);
  sweeper.start();
  const alarmCleanup = clearedAlarmCleanup(db, options.clearedAlarmRetentionMs ?? DEFAULT_CLEARED_ALARM_RETENTION_MS, log);
  alarmCleanup.start();
  const rollup = new ResponseTimeRollup(db, { log: log.child('series') });
  const rollupTask = rollup.task(log.child('series'));
  rollupTask.start();
  if (options.watchConfig !== false) reloader.watch();

  const url = `${backendTls ? 'https' : 'http'}://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`;
  return {
    url,
    port,
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
      await reloader.close();
      await backendTls?.close();
      await dispatcher.close();
      await influx?.close();
      await alarmCleanup.stop();
      rollup.stop();
      await rollupTask.stop();
      await sweeper.stop();
      await ws.close();
      await app.close();
      await rebalance.idle();
      await bus.drain();
      await db.close();
    },
  };
}
