/**
 * What a flood of wrong HTTP Basic passwords does to everyone else: the time
 * a static file (/ui/app.js) and /api/health take, quietly and while
 * `parallel` bad requests are kept in flight: guesses at admin's password
 * from one address, then from 50 (other loopback addresses), then guesses
 * with a new username each from 50 addresses. Also prints how the flood was
 * answered (401: checked and wrong; 429: told to wait; 503: the hash queue
 * was full) and how many passwords were checked per second. Before the
 * PasswordGate every guess at admin's password was hashed, 4 at a time on
 * libuv's thread pool, and a static file waited behind them for up to a
 * minute (measured on 2 busy cores: max 59.5 s); the target is that it takes
 * about as long as when quiet, the worst well under 2 s on 2 busy cores.
 *
 * The flood runs in a child process (this file with --flood), so its own
 * HTTP work does not share the measured server's event loop.
 *
 *   node --import tsx bench/password-flood.bench.ts [parallel] [seconds]
 */
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rawHttp, startTestBackend } from '@vantage/backend/testing';

const SAMPLES_EVERY_MS = 250;
/** The flood's addresses: one, or spread over this many. */
const SPREAD_ADDRESSES = 50;

if (process.argv[2] === '--flood') {
  const [port, parallel, durationMs, spread] = process.argv.slice(3, 7).map(Number) as [number, number, number, number];
  const addressOf = (i: number) => (spread > 1 ? `127.0.1.${1 + (i % spread)}` : '127.0.0.1');
  const usernameOf = process.argv[7] === 'admin' ? () => 'admin' : (i: number) => `guess-${i}`;
  console.log(JSON.stringify(await flood(port, parallel, durationMs, addressOf, usernameOf)));
  process.exit(0);
}

const parallel = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 10);
const t = await startTestBackend();
const port = t.backend.port;

async function timed(target: string): Promise<number> {
  const started = performance.now();
  const response = await rawHttp(port, { method: 'GET', target, localAddress: '127.0.0.2' });
  if (response.status !== 200) throw new Error(`${target} answered ${response.status}`);
  return performance.now() - started;
}

async function sample(untilMs: number): Promise<{ page: number[]; health: number[] }> {
  const page: number[] = [];
  const health: number[] = [];
  while (performance.now() < untilMs) {
    page.push(await timed('/ui/app.js'));
    health.push(await timed('/api/health'));
    await new Promise((resolve) => setTimeout(resolve, SAMPLES_EVERY_MS));
  }
  return { page, health };
}

async function flood(
  port: number,
  parallel: number,
  durationMs: number,
  addressOf: (i: number) => string,
  usernameOf: (i: number) => string,
): Promise<{ statuses: Record<number, number>; sent: number }> {
  const statuses: Record<number, number> = {};
  let sent = 0;
  const until = performance.now() + durationMs;
  const worker = async () => {
    while (performance.now() < until) {
      const i = sent++;
      const authorization = `Basic ${Buffer.from(`${usernameOf(i)}:wrong-${i}`).toString('base64')}`;
      const response = await rawHttp(port, { method: 'GET', target: '/api/monitors', localAddress: addressOf(i), headers: { authorization } });
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { statuses, sent };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? NaN;
const describe = (values: number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms (${values.length} requests)`;

const quiet = await sample(performance.now() + 2_000);
console.log(`quiet:                      /ui/app.js ${describe(quiet.page)}; /api/health ${describe(quiet.health)}`);

for (const [spread, usernames] of [
  [1, 'admin'],
  [SPREAD_ADDRESSES, 'admin'],
  [SPREAD_ADDRESSES, 'new'],
] as const) {
  const name = `${spread === 1 ? 'one address' : `${spread} addresses`}, ${usernames === 'admin' ? 'user admin' : 'a new username each'}`;
  const durationMs = seconds * 1000;
  const args = [fileURLToPath(import.meta.url), '--flood', ...[port, parallel, durationMs, spread].map(String), usernames];
  const child = promisify(execFile)(process.execPath, ['--import', 'tsx', ...args], {
    maxBuffer: 1 << 20,
  });
  // Give the flood a moment to build up before measuring.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const during = await sample(performance.now() + durationMs - 1_000);
  const answered = JSON.parse((await child).stdout) as { statuses: Record<number, number>; sent: number };
  console.log(`${parallel} in flight from ${name}: /ui/app.js ${describe(during.page)}; /api/health ${describe(during.health)}`);
  const hashed = answered.statuses[401] ?? 0;
  console.log(`  the flood: ${answered.sent} requests, answered ${JSON.stringify(answered.statuses)}; ${(hashed / seconds).toFixed(1)} passwords checked per second`);
  // Let the queue drain and the backoff of this phase not colour the next.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}

await t.close();
