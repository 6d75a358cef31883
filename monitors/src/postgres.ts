import net from 'node:net';
import type pg from 'pg';
import type { ClientConfig, QueryArrayResult } from 'pg';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { elapsedMs, networkFailure, timeoutReason } from './outcomes.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';

/**
 * node-postgres, loaded at the first PostgreSQL check: a poller with no such
 * service never pays for it (evaluated, it and the modules it loads add
 * about 5 MB to a process of some 60).
 */
let nodePostgres: Promise<typeof pg> | undefined;
function loadNodePostgres(): Promise<typeof pg> {
  nodePostgres ??= import('pg').then((module) => module.default);
  return nodePostgres;
}

const SSL_MODES = ['disable', 'require', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];

/** PostgreSQL refuses NUL in identifiers and strings; the wire protocol ends them with it. */
function noNul(value: string, name: string): string {
  if (value.includes('\0')) throw new ParameterError(`parameter "${name}" must not contain NUL characters`, name);
  return value;
}

const parameters = defineParameters({
  port: param.port().default(5432),
  user: param.text().map(noNul).default('postgres'),
  // Not trimmed: spaces may be part of a password. Absent means empty, never PGPASSWORD or ~/.pgpass.
  password: param.text('exact').map(noNul).default(''),
  database: param.text().map(noNul).default('postgres'),
  'ssl-mode': param.oneOf(SSL_MODES, 'lower').default('disable'),
  query: param.text().map(noNul),
  expected: param.regex({ form: 'trimmed' }),
});

interface PostgresSettings {
  port: number;
  user: string;
  password: string;
  database: string;
  sslMode: SslMode;
  query: string | undefined;
  expected: RegExp | undefined;
}

function parsePostgresSettings(params: RawParams): PostgresSettings {
  const { port, user, password, database, 'ssl-mode': sslMode, query, expected } = parameters.read(params);
  if (expected !== undefined && query === undefined) {
    throw new ParameterError('parameter "expected" needs a "query" to check', 'expected');
  }
  return { port, user, password, database, sslMode, query, expected };
}

/** Every column as the text PostgreSQL sends: "1", "t", "2026-11-26 12:00:00+00". */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

/** Longest query result quoted in a reason. */
const MAX_QUOTED = 100;

function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}

/** The first column of the first row of the last statement's result, or why there is none. */
function judgeResult(result: QueryArrayResult | QueryArrayResult[], expected: RegExp): string | undefined {
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  const row = last?.rows[0];
  if (row === undefined || row.length === 0) return `query returned no rows, expected ${expected}`;
  const value: unknown = row[0];
  if (value === null || value === undefined) return `query returned NULL, expected ${expected}`;
  const text = String(value);
  return expected.test(text) ? undefined : `query returned ${quote(text)}, expected ${expected}`;
}

/** SQLSTATE classes of a failed login (28: invalid authorization specification). */
const INVALID_PASSWORD = '28P01';
const INVALID_AUTHORIZATION = '28000';

function connectFailure(driver: typeof pg, err: unknown, user: string, signal: AbortSignal, timeoutMs: number): PollOutcome {
  if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(timeoutMs) };
  if (err instanceof driver.DatabaseError) {
    // The server's own words: "database "x" does not exist", "the database system is starting up".
    if (err.code === INVALID_PASSWORD) return { status: 'DOWN', reason: `authentication failed for user "${user}"` };
    if (err.code === INVALID_AUTHORIZATION) {
      return { status: 'DOWN', reason: `authentication failed for user "${user}": ${err.message}` };
    }
    return { status: 'DOWN', reason: err.message };
  }
  return networkFailure(err, signal, timeoutMs);
}

function queryFailure(driver: typeof pg, err: unknown, signal: AbortSignal, timeoutMs: number): PollOutcome {
  if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(timeoutMs) };
  const reason = err instanceof driver.DatabaseError ? err.message : networkFailure(err, signal, timeoutMs).reason;
  return { status: 'DOWN', reason: `query failed: ${reason}` };
}

/** CancelRequest's code in place of a protocol version (PostgreSQL protocol, 55.2.8). */
const CANCEL_REQUEST_CODE = 80877102;
const CANCEL_TIMEOUT_MS = 1000;

/**
 * Asks the server to stop the query of a session the monitor gave up on: a
 * backend notices its client has gone only when it next writes, so a query
 * stuck on a lock would otherwise hold its connection slot, one more at each
 * poll. Fire and forget, on a connection of its own with a time limit.
 */
function sendCancelRequest(host: string, port: number, client: pg.Client): void {
  // Set by node-postgres from BackendKeyData; not in its type definitions.
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
  if (processID === null || secretKey === null) return;
  const request = Buffer.alloc(16);
  request.writeInt32BE(16, 0);
  request.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  request.writeInt32BE(processID, 8);
  request.writeInt32BE(secretKey, 12);
  const socket = net.connect({ host, port });
  socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(request));
}

/** How long ending the session may take once the outcome is known. */
const END_GRACE_MS = 500;

/** Ends the session politely (Terminate) when it can, and closes the socket in any case. */
async function endClient(client: pg.Client, socket: () => net.Socket | undefined): Promise<void> {
  const timer = setTimeout(() => socket()?.destroy(), END_GRACE_MS);
  try {
    await client.end();
  } catch {
    // Ending a broken session can fail; the socket is closed below either way.
  } finally {
    clearTimeout(timer);
    socket()?.destroy();
  }
}

/**
 * PostgreSQL check with node-postgres, after OpenNMS's JDBCMonitor and
 * JDBCQueryMonitor. Parameters:
 * - `port` (default 5432), `user` (default "postgres"), `password` (default
 *   empty; the poller's PGPASSWORD and ~/.pgpass are not used), `database`
 *   (default "postgres");
 * - `ssl-mode`: "disable" (default), "require" (TLS, certificate not
 *   checked) or "verify-full" (TLS, trusted certificate for the host name);
 * - `query`: SQL to run after logging in (as given: use a read-only role);
 * - `expected`: a regular expression the first column of the first row must
 *   match, in the text form PostgreSQL prints ("1", "t"); needs `query`.
 * UP with the time to log in and run the query. The client has no abort
 * signal, so the monitor hands it a socket that the signal destroys; a query
 * still running then is cancelled (CancelRequest) so that it does not go on
 * holding a connection on the server.
 */
export const postgresMonitor: ServiceMonitor<PostgresSettings> = {
  name: 'postgres',
  parameters,
  parse: parsePostgresSettings,
  async poll(target, signal) {
    if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(target.timeoutMs) };
    const p = target.settings;

    let socket: net.Socket | undefined;
    const config: ClientConfig = {
      host: target.host,
      port: p.port,
      user: p.user,
      database: p.database,
      // A function: pg would replace an empty string with PGPASSWORD or ~/.pgpass.
      password: () => p.password,
      ssl:
        p.sslMode === 'disable'
          ? false
          : p.sslMode === 'require'
            ? { rejectUnauthorized: false }
            : { rejectUnauthorized: true, ...(net.isIP(target.host) ? {} : { servername: target.host }) },
      application_name: 'vantage-monitor',
      stream: () => {
        socket = new net.Socket({ signal });
        return socket;
      },
    };
    const driver = await loadNodePostgres();
    const client = new driver.Client(config);
    // A lost connection also fails the pending connect or query, which reports it.
    client.on('error', () => {});

    const start = performance.now();
    try {
      try {
        await client.connect();
      } catch (err) {
        return connectFailure(driver, err, p.user, signal, target.timeoutMs);
      }
      if (p.query !== undefined) {
        let result: QueryArrayResult | QueryArrayResult[];
        try {
          result = await client.query({ text: p.query, rowMode: 'array', types: TEXT_TYPES });
        } catch (err) {
          if (signal.aborted) sendCancelRequest(target.host, p.port, client);
          return queryFailure(driver, err, signal, target.timeoutMs);
        }
        const mismatch = p.expected && judgeResult(result, p.expected);
        if (mismatch) return { status: 'DOWN', reason: mismatch };
      }
      return { status: 'UP', responseTimeMs: elapsedMs(start) };
    } finally {
      await endClient(client, () => socket);
    }
  },
};
