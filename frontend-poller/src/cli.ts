/**
 * vantage-poller: a remote location monitor.
 *
 *   VANTAGE_TOKEN=T vantage-poller --server wss://backend:8980/rpc --fingerprint sha256:… --location RDU --name rdu-1 [--state-dir DIR]
 */
import { hostname, platform, release } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '@vantage/runtime';
import { Poller } from './poller.ts';
import { describeVerification, loadServerVerification, type ServerVerification } from './transports/server-verification.ts';
import { transportFactoryFor } from './transports/transport-factory.ts';

const USAGE = `usage: vantage-poller --server URL --location NAME --name NAME [options]

  --server URL        the backend: wss://HOST:8980/rpc (WebSocket) or https://HOST:8980/rpc (HTTP POST);
                      ws:// and http:// when the backend serves plain HTTP
  --fingerprint FP    accept only the backend certificate with this SHA-256 fingerprint (sha256:AB:CD:…,
                      as the backend prints it; plain hex too): for a self-signed certificate
  --ca FILE           trust the CA certificates in this PEM file instead of the system's
  --location NAME     the location this poller monitors from, as defined in the backend's configuration
  --name NAME         this poller's name, shown to administrators
  --token TOKEN       the location's registration token, if it uses one (otherwise an administrator approves);
                      better in the environment, VANTAGE_TOKEN, where other users cannot read it
  --state-dir DIR     where the poller keeps its identity (default ./.vantage-poller)
  --log-level LEVEL   error, warn, info or debug until the backend's setting arrives (default info)
  --reconnect-max-ms N  longest wait between reconnection attempts (default 60000)
  --help              this text

Over wss:// and https:// the backend's certificate is always verified (system CAs, --ca or --fingerprint);
a certificate that fails stops the poller with a message naming it: it never falls back to an unverified connection.`;

export const POLLER_VERSION = '0.1.0';

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' },
        location: { type: 'string' },
        name: { type: 'string' },
        token: { type: 'string' },
        ca: { type: 'string' },
        fingerprint: { type: 'string' },
        'state-dir': { type: 'string', default: '.vantage-poller' },
        'log-level': { type: 'string', default: 'info' },
        'reconnect-max-ms': { type: 'string', default: '60000' },
        'approval-retry-ms': { type: 'string', default: '5000' },
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
  const missing = (['server', 'location', 'name'] as const).filter((k) => !values[k]);
  if (missing.length) {
    process.stderr.write(`vantage-poller: missing ${missing.map((m) => `--${m}`).join(', ')}\n\n${USAGE}\n`);
    return 2;
  }
  const logLevel = values['log-level'] as LogLevel;
  if (!['error', 'warn', 'info', 'debug'].includes(logLevel)) {
    process.stderr.write(`vantage-poller: --log-level must be error, warn, info or debug\n`);
    return 2;
  }
  const numbers = { reconnectMaxMs: Number(values['reconnect-max-ms']), approvalRetryMs: Number(values['approval-retry-ms']) };
  for (const [key, value] of Object.entries(numbers)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      process.stderr.write(`vantage-poller: ${key} must be a positive whole number of milliseconds\n`);
      return 2;
    }
  }
  // The environment keeps the token off the command line, where any user of the host can read it.
  const token = values.token ?? (process.env.VANTAGE_TOKEN || undefined);
  let connect;
  let verification: ServerVerification;
  try {
    verification = await loadServerVerification({ caFile: values.ca, fingerprint: values.fingerprint });
    connect = transportFactoryFor(values.server!, verification);
  } catch (err) {
    process.stderr.write(`vantage-poller: ${(err as Error).message}\n`);
    return 2;
  }

  const log = createLogger('poller', logLevel);
  const poller = new Poller({
    server: values.server!,
    location: values.location!,
    name: values.name!,
    token,
    stateDir: values['state-dir']!,
    connect,
    log,
    details: { hostname: hostname(), os: `${platform()} ${release()}`, version: POLLER_VERSION, node: process.version },
    reconnectInitialMs: Math.min(1_000, numbers.reconnectMaxMs),
    reconnectMaxMs: numbers.reconnectMaxMs,
    approvalRetryMs: numbers.approvalRetryMs,
  });
  log.info(
    `vantage-poller ${POLLER_VERSION} connecting to ${values.server} (${describeVerification(values.server!, verification)}) ` +
      `for location "${values.location}" as "${values.name}"`,
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
