import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { PollOutcome } from './monitor.ts';
import { postgresMonitor } from './postgres.ts';
import { closedPort, parseAndPoll, pollLocal, start, startSilentServer, type RunningServer } from '../testing/servers.ts';

// ---------------------------------------------------------------------------
// The real server: VANTAGE_TEST_PG_URL when set (CI's PostgreSQL run), else
// 127.0.0.1:5432 as user postgres with trust authentication. Without either,
// the tests that need it are skipped; those against fake servers still run.

const PG_URL = new URL(process.env.VANTAGE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const PG = {
  host: PG_URL.hostname,
  port: PG_URL.port || '5432',
  user: decodeURIComponent(PG_URL.username) || 'postgres',
  password: decodeURIComponent(PG_URL.password),
};

let pgAvailable = false;
before(async () => {
  const probe = await parseAndPoll(
    postgresMonitor,
    { host: PG.host, params: { port: PG.port, user: PG.user, password: PG.password }, timeoutMs: 2000 },
    AbortSignal.timeout(2000),
  );
  pgAvailable = probe.status === 'UP';
  if (!pgAvailable && process.env.VANTAGE_TEST_PG_URL) {
    throw new Error(`VANTAGE_TEST_PG_URL is set but PostgreSQL does not answer: ${probe.reason}`);
  }
});

function pollPg(params: Record<string, string>, timeoutMs = 2000): Promise<PollOutcome> {
  const all = { port: PG.port, user: PG.user, password: PG.password, ...params };
  return parseAndPoll(postgresMonitor, { host: PG.host, params: all, timeoutMs }, AbortSignal.timeout(timeoutMs));
}

const skipReason = (): string | false => !pgAvailable && `no PostgreSQL at ${PG.host}:${PG.port}`;

// ---------------------------------------------------------------------------

const upCases: Array<{ name: string; params: Record<string, string> }> = [
  { name: 'connect only (defaults: database postgres)', params: {} },
  { name: 'database named', params: { database: 'template1' } },
  { name: 'SELECT 1 matching ^1$', params: { query: 'SELECT 1', expected: '^1$' } },
  { name: 'query without expected', params: { query: 'SELECT 1 WHERE false' } },
  { name: 'boolean in PostgreSQL text form', params: { query: 'SELECT true', expected: '^t$' } },
  {
    name: 'several statements: the last result counts',
    params: { query: "SELECT 'first'; SELECT current_database()", expected: '^postgres$' },
  },
  { name: 'value compared as text', params: { query: "SELECT 'version ' || 15", expected: 'version \\d+' } },
];

for (const { name, params } of upCases) {
  void test(`postgres: UP, ${name}`, async (t) => {
    const skip = skipReason();
    if (skip) return t.skip(skip);
    const outcome = await pollPg(params);
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.equal(outcome.reason, undefined);
    const ms = outcome.responseTimeMs ?? -1;
    assert.ok(ms >= 0 && ms < 2000, `responseTimeMs ${outcome.responseTimeMs}`);
  });
}

const downCases: Array<{ name: string; params: Record<string, string>; reason: string }> = [
  {
    name: 'database does not exist',
    params: { database: 'vantage_no_such_database' },
    reason: 'database "vantage_no_such_database" does not exist',
  },
  {
    name: 'role does not exist',
    params: { user: 'vantage_no_such_role' },
    reason: 'authentication failed for user "vantage_no_such_role": role "vantage_no_such_role" does not exist',
  },
  {
    name: 'query fails',
    params: { query: 'SELECT * FROM vantage_no_such_table' },
    reason: 'query failed: relation "vantage_no_such_table" does not exist',
  },
  {
    name: 'query is not SQL',
    params: { query: 'SELEKT 1' },
    reason: 'query failed: syntax error at or near "SELEKT"',
  },
  {
    name: 'first value does not match',
    params: { query: 'SELECT 2', expected: '^1$' },
    reason: 'query returned "2", expected /^1$/',
  },
  {
    name: 'no rows to match',
    params: { query: 'SELECT 1 WHERE false', expected: '^1$' },
    reason: 'query returned no rows, expected /^1$/',
  },
  {
    name: 'NULL does not match',
    params: { query: 'SELECT NULL', expected: '.*' },
    reason: 'query returned NULL, expected /.*/',
  },
  {
    name: 'long value cut in the reason',
    params: { query: "SELECT repeat('x', 300)", expected: '^y' },
    reason: `query returned "${'x'.repeat(100)}…", expected /^y/`,
  },
];

for (const { name, params, reason } of downCases) {
  void test(`postgres: DOWN, ${name}`, async (t) => {
    const skip = skipReason();
    if (skip) return t.skip(skip);
    assert.deepEqual(await pollPg(params), { status: 'DOWN', reason });
  });
}

void test('postgres: DOWN with the timeout reason while a query runs; the query is cancelled', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const started = performance.now();
  assert.deepEqual(await pollPg({ query: 'SELECT pg_sleep(30) /* vantage-cancel-test */' }, 300), {
    status: 'DOWN',
    reason: 'timeout after 300 ms',
  });
  assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);

  // The server stops the sleeping query well before its 30 s.
  const stillRunning = {
    query: "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%vantage-cancel-test%' AND pid <> pg_backend_pid()",
    expected: '^0$',
  };
  let outcome = await pollPg(stillRunning);
  for (let i = 0; i < 40 && outcome.status !== 'UP'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    outcome = await pollPg(stillRunning);
  }
  assert.equal(outcome.status, 'UP', outcome.reason);
});

void test('postgres: DOWN when the server does not speak TLS and ssl-mode requires it', async (t) => {
  const skip = skipReason();
  if (skip) return t.skip(skip);
  const outcome = await pollPg({ 'ssl-mode': 'require' });
  // CI's server may have TLS on; the local one has it off.
  if (outcome.status === 'UP') return;
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'The server does not support SSL connections' });
});

// ---------------------------------------------------------------------------
// A fake server that asks for a cleartext password (the wire protocol's
// AuthenticationCleartextPassword), to check what the monitor sends and how it
// words a refusal. Trust authentication on the real server accepts anything.

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

function errorResponse(code: string, text: string): Buffer {
  const fields = [`SFATAL`, `VFATAL`, `C${code}`, `M${text}`].map((f) => Buffer.from(`${f}\0`, 'utf8'));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

const RIGHT_PASSWORD = ' s3cret with spaces ';

function startPasswordServer(): Promise<RunningServer> {
  return start(
    net.createServer((socket) => {
      socket.on('error', () => {});
      let buffered = Buffer.alloc(0);
      let user = '';
      let startedUp = false;
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          if (!startedUp) {
            // StartupMessage: length, protocol 3.0, then name\0value\0 pairs.
            if (buffered.length < 4 || buffered.length < buffered.readInt32BE(0)) return;
            const length = buffered.readInt32BE(0);
            const pairs = buffered.subarray(8, length).toString('utf8').split('\0');
            user = pairs[pairs.indexOf('user') + 1] ?? '';
            buffered = buffered.subarray(length);
            startedUp = true;
            socket.write(message('R', int32(3)));
            continue;
          }
          if (buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) return;
          const type = String.fromCharCode(buffered[0] ?? 0);
          const body = buffered.subarray(5, 1 + buffered.readInt32BE(1));
          buffered = buffered.subarray(1 + buffered.readInt32BE(1));
          if (type === 'p') {
            const password = body.toString('utf8').replace(/\0$/, '');
            if (password === RIGHT_PASSWORD) {
              socket.write(Buffer.concat([message('R', int32(0)), message('Z', Buffer.from('I'))]));
            } else {
              socket.end(errorResponse('28P01', `password authentication failed for user "${user}"`));
            }
          } else if (type === 'X') {
            socket.end();
          }
        }
      });
    }),
  );
}

void test('postgres: the password is sent as given; a wrong one is DOWN "authentication failed"', async (t) => {
  const server = await startPasswordServer();
  t.after(() => server.close());
  const port = String(server.port);
  const saved = process.env.PGPASSWORD;
  process.env.PGPASSWORD = RIGHT_PASSWORD;
  t.after(() => {
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
  });

  const up = await pollLocal(postgresMonitor, { port, user: 'monitor', password: RIGHT_PASSWORD });
  assert.equal(up.status, 'UP', up.reason);

  assert.deepEqual(await pollLocal(postgresMonitor, { port, user: 'monitor', password: 'wrong' }), {
    status: 'DOWN',
    reason: 'authentication failed for user "monitor"',
  });
  // No password parameter: an empty one, not the poller's PGPASSWORD.
  assert.deepEqual(await pollLocal(postgresMonitor, { port, user: 'monitor' }), {
    status: 'DOWN',
    reason: 'authentication failed for user "monitor"',
  });
});

void test('postgres: DOWN "connection refused" when nothing listens', async () => {
  const port = await closedPort();
  assert.deepEqual(await pollLocal(postgresMonitor, { port: String(port) }), {
    status: 'DOWN',
    reason: 'connection refused',
  });
});

void test('postgres: DOWN with the timeout reason when the server never answers', async (t) => {
  const silent = await startSilentServer();
  t.after(() => silent.close());
  const started = performance.now();
  assert.deepEqual(await pollLocal(postgresMonitor, { port: String(silent.port) }, 300), {
    status: 'DOWN',
    reason: 'timeout after 300 ms',
  });
  assert.ok(performance.now() - started < 5_000, `took ${performance.now() - started} ms`);

  const target = { host: '127.0.0.1', params: { port: String(silent.port) }, timeoutMs: 1234 };
  assert.deepEqual(await parseAndPoll(postgresMonitor, target, AbortSignal.abort()), {
    status: 'DOWN',
    reason: 'timeout after 1234 ms',
  });
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  { params: { port: 'pg' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "pg"' },
  { params: { expected: '^1$' }, reason: 'parameter "expected" needs a "query" to check' },
  {
    params: { query: 'SELECT 1', expected: '(' },
    reason:
      'parameter "expected" is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
  },
  {
    params: { 'ssl-mode': 'prefer' },
    reason: 'parameter "ssl-mode" must be one of disable, require, verify-full, got "prefer"',
  },
  { params: { user: 'a\0b' }, reason: 'parameter "user" must not contain NUL characters' },
];

for (const { params, reason } of badParams) {
  void test(`postgres: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await pollLocal(postgresMonitor, params), { status: 'UNKNOWN', reason });
  });
}
