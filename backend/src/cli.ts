/**
 * vantage: the backend. By default it runs standalone: the backend, the
 * built-in local poller and the web UI in one process, on the embedded
 * database, with config/polling-config.xml.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger } from '@vantage/runtime';
import { ConfigError } from './config/config-error.ts';
import { startLocalPoller } from './local-poller.ts';
import { startBackend } from './server.ts';
import { checkCertificateName } from './tls/self-signed.ts';
import type { TlsSettings } from './tls/backend-tls.ts';
import type { ServerLimits } from './server-limits.ts';

const USAGE = `usage: vantage [options]

  --port N              HTTP, WebSocket and JSON-RPC port (default 8980)
  --host ADDR           address to listen on (default 0.0.0.0)
  --config FILE         polling configuration (default config/polling-config.xml)
  --data-dir DIR        embedded database and local poller state (default ./data)
  --no-local-poller     run only the backend, without the built-in poller
  --tls-cert FILE --tls-key FILE
                        serve HTTPS and WSS with this certificate (PEM, the chain after it) and key;
                        reloaded on SIGHUP and when the files change
  --tls self-signed     serve HTTPS and WSS with a certificate made at the first start and kept in
                        DATA_DIR/tls (pollers pin its fingerprint, printed at every start)
  --tls-name NAME       a DNS name or IP address for the self-signed certificate; repeat for more
                        (default: this host's name, localhost and its addresses)
  --log-format FORMAT   text (default) or json (one JSON object per line)
  --max-connections N   WebSocket connections at once (default 2000)
  --max-connections-per-address N
                        WebSocket connections from one address (default 50; raise it
                        when many pollers share one address, such as a NAT)
  --influx-url URL      also write response times to InfluxDB (v2 write API), with
  --influx-token T --influx-org O --influx-bucket B
  --help                this text

Environment: PORT stands for --port;
DATABASE_URL=postgres://user@host:5432/db uses PostgreSQL instead of the embedded database;
VANTAGE_ADMIN_PASSWORD sets the password of the first user, admin (otherwise one is generated and printed once);
VANTAGE_LOG_FORMAT stands for --log-format;
VANTAGE_TRUST_PROXY=1 believes X-Forwarded-* headers from a reverse proxy;
VANTAGE_INFLUX_URL, VANTAGE_INFLUX_TOKEN, VANTAGE_INFLUX_ORG, VANTAGE_INFLUX_BUCKET stand for the --influx-* options;
VANTAGE_SCRAPE_TOKEN lets a metrics scraper read GET /metrics with "Authorization: Bearer TOKEN" (otherwise /metrics needs a user's credentials).`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        // An empty PORT (PORT= in a unit file or a shell) is no port: the default, not 0 (any free port).
        port: { type: 'string', default: process.env.PORT || '8980' },
        host: { type: 'string', default: '0.0.0.0' },
        config: { type: 'string', default: 'config/polling-config.xml' },
        'data-dir': { type: 'string', default: 'data' },
        'no-local-poller': { type: 'boolean', default: false },
        'log-format': { type: 'string', default: process.env.VANTAGE_LOG_FORMAT ?? 'text' },
        tls: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-name': { type: 'string', multiple: true },
        'max-connections': { type: 'string' },
        'max-connections-per-address': { type: 'string' },
        'influx-url': { type: 'string', default: process.env.VANTAGE_INFLUX_URL },
        'influx-token': { type: 'string', default: process.env.VANTAGE_INFLUX_TOKEN },
        'influx-org': { type: 'string', default: process.env.VANTAGE_INFLUX_ORG ?? 'vantage' },
        'influx-bucket': { type: 'string', default: process.env.VANTAGE_INFLUX_BUCKET ?? 'vantage' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`vantage: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Digits only: Number() reads "" and " " as 0, which listens on any free port, where the shipped configuration checks 8980.
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN;
  if (!(port <= 65535)) {
    const given = argv.some((arg) => arg === '--port' || arg.startsWith('--port=')) ? '--port' : 'PORT (environment)';
    process.stderr.write(`vantage: ${given} must be a port number from 0 to 65535, got "${values.port}"\n`);
    return 2;
  }
  if (values['influx-url'] !== undefined && !/^https?:\/\/[^/]+/.test(values['influx-url'])) {
    process.stderr.write(`vantage: --influx-url must be an http:// or https:// URL, got "${values['influx-url']}"\n`);
    return 2;
  }
  const limits: Partial<ServerLimits> = {};
  for (const [option, limit] of [
    ['max-connections', 'maxConnections'],
    ['max-connections-per-address', 'maxConnectionsPerAddress'],
  ] as const) {
    const value = values[option];
    if (value === undefined) continue;
    if (!/^[1-9]\d*$/.test(value)) {
      process.stderr.write(`vantage: --${option} must be a positive whole number, got "${value}"\n`);
      return 2;
    }
    limits[limit] = Number(value);
  }
  const format = values['log-format'];
  if (format !== 'text' && format !== 'json') {
    process.stderr.write(`vantage: --log-format must be text or json, got "${format}"\n`);
    return 2;
  }
  let tls: TlsSettings | undefined;
  try {
    tls = tlsSettings(values);
  } catch (err) {
    process.stderr.write(`vantage: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger('vantage', { format });
  logUnexpectedFailures(log);
  // Listen for signals before anything else: one that comes while the backend is
  // still starting must not kill it half-way (the default action), but stop it cleanly once up.
  const shutdownRequested = new Promise<string>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal('SIGINT'));
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
  });
  // SIGHUP reloads the certificate files (its default action would end the process).
  let reloadTls: (() => void) | undefined;
  if (tls && 'certFile' in tls) {
    process.on('SIGHUP', () => {
      if (reloadTls) reloadTls();
      else log.warn('SIGHUP received while starting: the certificate just read stays');
    });
  }
  const dataDir = resolve(values['data-dir']!);
  let backend;
  try {
    backend = await startBackend({
      configPath: values.config!,
      port,
      host: values.host!,
      dataDir,
      databaseUrl: process.env.DATABASE_URL || undefined,
      adminPassword: process.env.VANTAGE_ADMIN_PASSWORD || undefined,
      trustProxy: process.env.VANTAGE_TRUST_PROXY === '1',
      scrapeToken: process.env.VANTAGE_SCRAPE_TOKEN || undefined,
      log,
      limits,
      influx: values['influx-url']
        ? { url: values['influx-url'], token: values['influx-token'], org: values['influx-org']!, bucket: values['influx-bucket']! }
        : undefined,
      tls,
    });
  } catch (err) {
    process.stderr.write(`vantage: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 1;
  }
  const served = backend.tls;
  if (served) {
    reloadTls = () => {
      log.info('SIGHUP received: reloading the TLS certificate files');
      void served.reload('SIGHUP');
    };
  }
  let localPoller: { stop(): Promise<void> } | undefined;
  if (!values['no-local-poller']) {
    localPoller = await startLocalPoller({ backend, stateDir: `${dataDir}/local-poller`, log: createLogger('local-poller', { format }) });
  }
  const pollersConnect = backend.tls
    ? `wss://HOST:${backend.port}/rpc${backend.tls.selfSigned ? ` with --fingerprint ${backend.tls.fingerprint}` : ''}`
    : `ws://HOST:${backend.port}/rpc`;
  log.info(`Vantage is running: open ${backend.url}/ (REST API under ${backend.url}/api/, pollers connect to ${pollersConnect})`);
  for (const location of backend.configs.config.locations.values()) {
    const services = backend.configs.packageFor(location.name)?.package.services ?? [];
    const what = services
      .slice(0, 5)
      .map((s) => `${s.serviceId} (${s.monitor} ${s.host}${s.params.port ? `:${s.params.port}` : ''} every ${s.intervalMs / 1000} s)`)
      .join(', ');
    log.info(`location ${location.name}: ${services.length} service${services.length === 1 ? '' : 's'}${what ? `: ${what}` : ''}${services.length > 5 ? ', …' : ''}`);
  }

  const signal = await shutdownRequested;
  log.info(`${signal} received: shutting down`);
  await localPoller?.stop();
  await backend.close();
  return 0;
}

/** --tls / --tls-cert / --tls-key / --tls-name as settings; throws naming the option that is wrong. */
function tlsSettings(values: { tls?: string; 'tls-cert'?: string; 'tls-key'?: string; 'tls-name'?: string[] }): TlsSettings | undefined {
  const names = values['tls-name'];
  if (values.tls !== undefined) {
    if (values.tls !== 'self-signed') throw new Error(`--tls takes "self-signed", got "${values.tls}" (for your own certificate use --tls-cert FILE --tls-key FILE)`);
    if (values['tls-cert'] !== undefined || values['tls-key'] !== undefined) throw new Error('--tls self-signed and --tls-cert/--tls-key exclude each other');
    names?.forEach(checkCertificateName);
    return { selfSigned: true, names };
  }
  if (names !== undefined) throw new Error('--tls-name is for --tls self-signed (a certificate from files carries its own names)');
  if (values['tls-cert'] === undefined && values['tls-key'] === undefined) return undefined;
  if (values['tls-cert'] === undefined || values['tls-key'] === undefined) throw new Error('--tls-cert and --tls-key go together');
  return { certFile: resolve(values['tls-cert']), keyFile: resolve(values['tls-key']) };
}

/**
 * The last resort for failures no code path caught: each is a bug, logged
 * with its stack. A rejected promise nobody awaited has already unwound
 * what it was doing, so the backend logs it and carries on serving: no input
 * may end the process. An uncaught exception is different: it escaped in
 * the middle of synchronous work, so some state may be half-changed and
 * Node cannot say which; the backend logs it and exits (code 70) for its
 * service manager to start it afresh, rather than serve from that state.
 */
function logUnexpectedFailures(log: Logger): void {
  process.on('unhandledRejection', (reason) => {
    log.error(`unhandled promise rejection (a bug; the backend carries on): ${(reason as Error)?.stack ?? String(reason)}`);
  });
  process.on('uncaughtException', (err, origin) => {
    log.error(`uncaught exception (${origin}; a bug): ${err?.stack ?? String(err)}; exiting`);
    process.exit(70);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vantage: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
