/**
 * vantage-poller: a remote location monitor.
 *
 *   VANTAGE_TOKEN=T vantage-poller --server wss://home:8980/rpc [--server wss://standby:8980/rpc] \
 *     --fingerprint sha256:… --location RDU --name rdu-1
 */
import { hostname, platform, release } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '@vantage/runtime';
import { parseByteSize, parseDuration, parsePort } from './cli-values.ts';
import { DEFAULT_PACKAGE_MAX_AGE_MS, DEFAULT_SPOOL_MAX_AGE_MS, DEFAULT_SPOOL_MAX_BYTES, Poller } from './poller.ts';
import type { PollerMetrics } from './poller-metrics.ts';
import { parseServerList } from './server-choice.ts';
import { describeVerification, loadServerVerification, type ServerVerification } from './transports/server-verification.ts';
import { transportFactoryForServers } from './transports/transport-factory.ts';
import { resolveRegistrationToken, TOKEN_ENV_VARIABLE, TokenSourceError } from './token-source.ts';

const USAGE = `usage: vantage-poller --server URL [--server URL …] --location NAME --name NAME [options]

  --server URL        a backend: wss://HOST:8980/rpc (WebSocket) or https://HOST:8980/rpc (plain HTTP POSTs);
                      ws:// and http:// without TLS. Give it several times, home first, for standby servers
  --servers A,B,…     the same as a list, home first
  --fingerprint FP    accept only the backend certificate with this SHA-256 fingerprint (sha256:AB:CD:…,
                      as the backend prints it; plain hex too): for a self-signed certificate
  --ca FILE           trust the CA certificates in this PEM file instead of the system's
  --location NAME     the location this poller monitors from, as defined in the backend's configuration
  --name NAME         this poller's name, shown to administrators
  --token-file FILE   the location's registration token, if it uses one (otherwise an administrator approves):
                      the first line of FILE, which only its owner may read (chmod 600)
                      or set VANTAGE_TOKEN in the environment instead
  --token TOKEN       the same on the command line, where every user of the host can read it: avoid
  --state-dir DIR     where the poller keeps its identity, result spool and last package (default ./.vantage-poller)
  --switchover-after D     home unreachable this long: move to a standby (default 60s)
  --switchback-interval D  on a standby, try home this often; go back when it answers (default 60s)
  --package-max-age D      poll a stored package at most this long after the backend last confirmed it (default 3d)
  --spool-max-age D        keep unsent results at most this long, until the backend's setting arrives (default 1h)
  --spool-max-bytes N      bound of the result spool on disk, until the backend's setting arrives (default 64MiB)
  --no-fsync          do not fdatasync the spool at each group commit (survives a crash, not a power cut)
  --log-level LEVEL   error, warn, info or debug until the backend's setting arrives (default info)
  --log-format FORMAT text (default) or json (one JSON object per line; also VANTAGE_LOG_FORMAT)
  --reconnect-max-ms N  longest wait between reconnection attempts (default 5000)
  --metrics-port N    serve Prometheus metrics at http://HOST:N/metrics (0: any free port, logged); off by default
  --metrics-host ADDR the address the metrics are served on (default 127.0.0.1: this host only)
  --help              this text

Over wss:// and https:// the backend's certificate is always verified (system CAs, --ca or --fingerprint);
a certificate that fails stops the poller with a message naming it: it never falls back to an unverified connection.
Durations: a number and a unit, ms, s, m, h or d (90s, 5m, 720h, 3d). Sizes: bytes, or KiB, MiB, GiB.`;

export const POLLER_VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string', multiple: true, default: [] },
        servers: { type: 'string' },
        location: { type: 'string' },
        name: { type: 'string' },
        token: { type: 'string' },
        ca: { type: 'string' },
        fingerprint: { type: 'string' },
        'token-file': { type: 'string' },
        'state-dir': { type: 'string', default: '.vantage-poller' },
        'switchover-after': { type: 'string', default: '60s' },
        'switchback-interval': { type: 'string', default: '60s' },
        'package-max-age': { type: 'string', default: `${DEFAULT_PACKAGE_MAX_AGE_MS}ms` },
        'spool-max-age': { type: 'string', default: `${DEFAULT_SPOOL_MAX_AGE_MS}ms` },
        'spool-max-bytes': { type: 'string', default: String(DEFAULT_SPOOL_MAX_BYTES) },
        'no-fsync': { type: 'boolean', default: false },
        'log-level': { type: 'string', default: 'info' },
        'log-format': { type: 'string', default: process.env.VANTAGE_LOG_FORMAT ?? 'text' },
        'reconnect-max-ms': { type: 'string', default: '5000' },
        'approval-retry-ms': { type: 'string', default: '5000' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`vantage-poller: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const refuse = (message: string) => {
    process.stderr.write(`vantage-poller: ${message}\n`);
    return 2;
  };
  const missing = (['location', 'name'] as const).filter((k) => !values[k]);
  if (missing.length) return refuse(`missing ${missing.map((m) => `--${m}`).join(', ')}\n\n${USAGE}`);
  const logLevel = values['log-level'] as LogLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) return refuse('--log-level must be error, warn, info or debug');
  const logFormat = values['log-format'];
  if (logFormat !== 'text' && logFormat !== 'json') return refuse('--log-format must be text or json');

  let servers: string[];
  let verification: ServerVerification;
  let connect;
  let durations;
  let spoolMaxBytes: number;
  let metricsPort: number | undefined;
  try {
    servers = parseServerList(values.server ?? [], values.servers);
    verification = await loadServerVerification({ caFile: values.ca, fingerprint: values.fingerprint });
    connect = transportFactoryForServers(servers, verification);
    durations = {
      switchoverAfterMs: parseDuration('--switchover-after', values['switchover-after']!),
      switchbackIntervalMs: parseDuration('--switchback-interval', values['switchback-interval']!),
      packageMaxAgeMs: parseDuration('--package-max-age', values['package-max-age']!),
      spoolMaxAgeMs: parseDuration('--spool-max-age', values['spool-max-age']!),
      reconnectMaxMs: parseDuration('--reconnect-max-ms', values['reconnect-max-ms']!),
      approvalRetryMs: parseDuration('--approval-retry-ms', values['approval-retry-ms']!),
    };
    spoolMaxBytes = parseByteSize('--spool-max-bytes', values['spool-max-bytes']!);
    metricsPort = values['metrics-port'] === undefined ? undefined : parsePort('--metrics-port', values['metrics-port']);
  } catch (err) {
    return refuse((err as Error).message);
  }
  let registration;
  try {
    registration = await resolveRegistrationToken({ token: values.token, tokenFile: values['token-file'], env: process.env });
  } catch (err) {
    if (!(err instanceof TokenSourceError)) throw err;
    return refuse(err.message);
  }
  // Read once; the processes the monitors start (fping) need not inherit it.
  delete process.env[TOKEN_ENV_VARIABLE];

  const log = createLogger('poller', { level: logLevel, format: logFormat });
  for (const warning of registration.warnings) log.warn(warning);
  let metrics: PollerMetrics | undefined;
  if (metricsPort !== undefined) {
    // Loaded only when asked for: prom-client adds some 3 MB to a poller that serves no metrics.
    const { PollerMetrics, serveMetrics } = await import('./poller-metrics.ts');
    metrics = new PollerMetrics();
    try {
      const server = await serveMetrics(metrics, values['metrics-host']!, metricsPort!, log);
      log.info(`metrics at http://${values['metrics-host']!.includes(':') ? `[${values['metrics-host']}]` : values['metrics-host']}:${server.port}/metrics`);
    } catch (err) {
      return refuse(`cannot serve metrics on ${values['metrics-host']} port ${metricsPort}: ${(err as Error).message}`);
    }
  }
  const poller = new Poller({
    servers,
    location: values.location!,
    name: values.name!,
    token: registration.token,
    stateDir: values['state-dir']!,
    connect,
    log,
    details: { hostname: hostname(), os: `${platform()} ${release()}`, version: POLLER_VERSION, node: process.version },
    reconnectInitialMs: Math.min(500, durations.reconnectMaxMs),
    reconnectMaxMs: durations.reconnectMaxMs,
    approvalRetryMs: durations.approvalRetryMs,
    switchoverAfterMs: durations.switchoverAfterMs,
    switchbackIntervalMs: durations.switchbackIntervalMs,
    packageMaxAgeMs: durations.packageMaxAgeMs,
    spoolMaxAgeMs: durations.spoolMaxAgeMs,
    spoolMaxBytes,
    spoolFsync: !values['no-fsync'],
    metrics,
  });
  log.info(
    `vantage-poller ${POLLER_VERSION} for location "${values.location}" as "${values.name}": ` +
      (servers.length === 1 ? `server ${servers[0]}` : `home ${servers[0]}, standby ${servers.slice(1).join(', ')}`) +
      ` (${describeVerification(servers[0]!, verification)})`,
  );

  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) {
      log.warn(`second ${signal}: exiting now`);
      process.exit(130);
    }
    signalled = true;
    log.info(`${signal} received: stopping`);
    poller.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`error while stopping: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  const exit = await poller.start();
  if (signalled) return new Promise(() => undefined); // onSignal exits once stop() is done
  log.info(`exiting: ${exit}`);
  return exit === 'stopped' || exit === 'stopped-by-backend' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vantage-poller: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
