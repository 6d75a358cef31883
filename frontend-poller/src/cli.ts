/**
 * vantage-poller: a remote location monitor.
 *
 *   VANTAGE_TOKEN=T vantage-poller --server ws://backend:8980/rpc --location RDU --name rdu-1 [--token-file FILE] [--state-dir DIR]
 */
import { hostname, platform, release } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, type LogLevel } from '@vantage/runtime';
import { Poller } from './poller.ts';
import { resolveRegistrationToken, TOKEN_ENV_VARIABLE, TokenSourceError } from './token-source.ts';
import { transportFactoryFor } from './transports/transport-factory.ts';

const USAGE = `usage: vantage-poller --server URL --location NAME --name NAME [options]

  --server URL        the backend: ws://HOST:8980/rpc (WebSocket) or http://HOST:8980/rpc (plain HTTP)
  --location NAME     the location this poller monitors from, as defined in the backend's configuration
  --name NAME         this poller's name, shown to administrators
  --token-file FILE   the location's registration token, if it uses one (otherwise an administrator approves):
                      the first line of FILE, which only its owner may read (chmod 600)
                      or set VANTAGE_TOKEN in the environment instead
  --token TOKEN       the same on the command line, where every user of the host can read it: avoid
  --state-dir DIR     where the poller keeps its identity (default ./.vantage-poller)
  --log-level LEVEL   error, warn, info or debug until the backend's setting arrives (default info)
  --reconnect-max-ms N  longest wait between reconnection attempts (default 60000)
  --help              this text`;

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
        'token-file': { type: 'string' },
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
  let connect;
  try {
    connect = transportFactoryFor(values.server!);
  } catch (err) {
    process.stderr.write(`vantage-poller: ${(err as Error).message}\n`);
    return 2;
  }
  let registration;
  try {
    registration = await resolveRegistrationToken({ token: values.token, tokenFile: values['token-file'], env: process.env });
  } catch (err) {
    if (!(err instanceof TokenSourceError)) throw err;
    process.stderr.write(`vantage-poller: ${err.message}\n`);
    return 2;
  }
  // Read once; the processes the monitors start (fping) need not inherit it.
  delete process.env[TOKEN_ENV_VARIABLE];

  const log = createLogger('poller', logLevel);
  for (const warning of registration.warnings) log.warn(warning);
  const poller = new Poller({
    server: values.server!,
    location: values.location!,
    name: values.name!,
    token: registration.token,
    stateDir: values['state-dir']!,
    connect,
    log,
    details: { hostname: hostname(), os: `${platform()} ${release()}`, version: POLLER_VERSION, node: process.version },
    reconnectInitialMs: Math.min(1_000, numbers.reconnectMaxMs),
    reconnectMaxMs: numbers.reconnectMaxMs,
    approvalRetryMs: numbers.approvalRetryMs,
  });
  log.info(`vantage-poller ${POLLER_VERSION} connecting to ${values.server} for location "${values.location}" as "${values.name}"`);

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
