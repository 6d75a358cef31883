// The ICMP monitor against the real fping on loopback addresses, and against
// small stand-in scripts (written here, pointed at with VANTAGE_FPING or the
// fpingPath option) for what loopback cannot show: lost and unreachable
// hosts, fping failing, a slow run. The stand-ins send no packets. The only
// non-loopback address ever pinged is 192.0.2.1 (TEST-NET-1), once.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { createIcmpMonitor, FPING_MISSING, icmpMonitor } from './icmp.ts';
import { parseAndPoll } from '../testing/servers.ts';

/** The real fping, found as the monitor finds it, or undefined. */
function findFping(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  const candidates = [process.env.VANTAGE_FPING, ...dirs.filter(Boolean).map((dir) => path.join(dir, 'fping'))];
  return candidates.find((file) => {
    if (!file) return false;
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const REAL_FPING = findFping();
const NO_FPING = REAL_FPING ? false : 'fping is not installed on this machine (install the fping package)';

/** Whether this machine has the IPv6 loopback address ::1 configured. */
function hasIpv6Loopback(): boolean {
  return Object.values(os.networkInterfaces()).some((addresses) =>
    (addresses ?? []).some((a) => a.family === 'IPv6' && a.address === '::1'),
  );
}

/**
 * Whether 192.0.2.1 is the gateway of, or on a network directly connected to,
 * this machine (some sandboxes use TEST-NET-1 for their own link): then it
 * may well answer, and cannot stand for an address that does not.
 */
function testNet1IsLocal(): boolean {
  let table: string;
  try {
    table = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return false;
  }
  const address = 0x010200c0; // 192.0.2.1 as /proc/net/route writes it (little-endian hex)
  return table
    .split('\n')
    .slice(1)
    .some((line) => {
      const [, destination, gateway, , , , , , mask] = line.trim().split(/\s+/);
      if (!destination || !gateway || !mask) return false;
      const [dest, gw, m] = [destination, gateway, mask].map((hex) => Number.parseInt(hex, 16) >>> 0);
      if (gw === address) return true;
      return m !== 0 && ((address & (m ?? 0)) >>> 0) === dest;
    });
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vantage-icmp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes an executable /bin/sh script into `dir`. */
function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A wrapper around the real fping that appends its arguments, one run a line, to a log. */
function countingFping(t: TestContext): { path: string; runs(): string[] } {
  const dir = tempDir(t);
  const log = path.join(dir, 'runs.log');
  const file = script(dir, 'fping', `echo "$*" >> '${log}'\nexec '${REAL_FPING}' "$@"`);
  return {
    path: file,
    runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

function ping(
  monitor: ServiceMonitor,
  host: string,
  options: { params?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<PollOutcome> {
  const timeoutMs = options.timeoutMs ?? 2000;
  return parseAndPoll(monitor, { host, params: options.params ?? {}, timeoutMs }, options.signal ?? AbortSignal.timeout(timeoutMs));
}

function assertUp(outcome: PollOutcome, what: string): void {
  assert.equal(outcome.status, 'UP', `${what}: ${JSON.stringify(outcome)}`);
  const ms = outcome.responseTimeMs ?? -1;
  assert.ok(ms >= 0 && ms < 1000, `${what}: responseTimeMs ${outcome.responseTimeMs}`);
  assert.equal(outcome.reason, undefined);
}

void test('icmp: UP with the echo round trip for 127.0.0.1', { skip: NO_FPING }, async () => {
  assertUp(await ping(icmpMonitor, '127.0.0.1'), '127.0.0.1');
});

void test('icmp: UP for a name, resolved before fping runs (localhost)', { skip: NO_FPING }, async () => {
  assertUp(await ping(icmpMonitor, 'localhost'), 'localhost');
});

void test(
  'icmp: UP for ::1, in one fping run together with 127.0.0.1',
  { skip: NO_FPING || (hasIpv6Loopback() ? false : 'this machine has no IPv6 loopback (::1 is not configured)') },
  async (t) => {
    const fping = countingFping(t);
    const monitor = createIcmpMonitor({ fpingPath: fping.path });

    const [v6, v4] = await Promise.all([ping(monitor, '::1'), ping(monitor, '127.0.0.1')]);

    assertUp(v6, '::1');
    assertUp(v4, '127.0.0.1');
    assert.equal(fping.runs().length, 1, 'one fping run for the mixed batch');
  },
);

void test(
  'icmp: DOWN with the timeout reason for an address that does not answer (192.0.2.1)',
  {
    skip:
      NO_FPING ||
      (testNet1IsLocal()
        ? '192.0.2.1 is the gateway or on a directly connected network of this machine, so it may answer here'
        : false),
  },
  async () => {
    const outcome = await ping(icmpMonitor, '192.0.2.1', { timeoutMs: 300 });

    assert.equal(outcome.status, 'DOWN', JSON.stringify(outcome));
    // Either the caller's signal ran out first or fping's own timeout did. (A
    // router on the way may instead say the host is unreachable: also DOWN.)
    assert.match(
      outcome.reason ?? '',
      /^(timeout after 300 ms|no echo reply from 192\.0\.2\.1 within 300 ms|(host|network) unreachable \(reported by .+\))$/,
    );
  },
);

void test('icmp: 50 concurrent checks go out in ONE fping run', { skip: NO_FPING }, async (t) => {
  const fping = countingFping(t);
  const monitor = createIcmpMonitor({ fpingPath: fping.path });
  const hosts = Array.from({ length: 50 }, (_, i) => `127.0.0.${i + 1}`);

  const outcomes = await Promise.all(hosts.map((host) => ping(monitor, host)));

  outcomes.forEach((outcome, i) => assertUp(outcome, hosts[i] ?? ''));
  const runs = fping.runs();
  assert.equal(runs.length, 1, `fping runs: ${runs.join(' | ')}`);
  // The hosts go through stdin, not the command line.
  assert.match(runs[0] ?? '', /-f -$/);
  assert.doesNotMatch(runs[0] ?? '', /127\.0\.0\./);
});

void test('icmp: a full batch goes out at once, without waiting for the window', { skip: NO_FPING }, async (t) => {
  const fping = countingFping(t);
  const monitor = createIcmpMonitor({ fpingPath: fping.path, batchWindowMs: 5000, maxBatchHosts: 10 });
  const started = performance.now();

  // 20 checks of 10 distinct addresses each time (the same address twice is one host).
  const hosts = Array.from({ length: 20 }, (_, i) => `127.0.${Math.floor(i / 10) + 1}.${(i % 10) + 1}`);
  const outcomes = await Promise.all(hosts.map((host) => ping(monitor, host)));

  outcomes.forEach((outcome, i) => assertUp(outcome, hosts[i] ?? ''));
  assert.equal(fping.runs().length, 2);
  assert.ok(performance.now() - started < 2000, 'did not wait for the 5 s window');
});

void test('icmp: the same address checked twice in a batch is pinged once and answers both', { skip: NO_FPING }, async (t) => {
  const dir = tempDir(t);
  const hostsFile = path.join(dir, 'hosts');
  const fping = script(dir, 'fping', `tee '${hostsFile}' | '${REAL_FPING}' "$@"`);
  const monitor = createIcmpMonitor({ fpingPath: fping });

  const outcomes = await Promise.all([ping(monitor, '127.0.0.1'), ping(monitor, '127.0.0.1')]);

  outcomes.forEach((outcome) => assertUp(outcome, '127.0.0.1'));
  assert.equal(readFileSync(hostsFile, 'utf8'), '127.0.0.1\n');
});

void test('icmp: packet-size, allow-fragmentation and dscp become fping options', { skip: NO_FPING }, async (t) => {
  const fping = countingFping(t);
  const monitor = createIcmpMonitor({ fpingPath: fping.path });

  const outcome = await ping(monitor, '127.0.0.1', {
    params: { 'packet-size': '1472', 'allow-fragmentation': 'false', dscp: '0xb8' },
  });

  assertUp(outcome, '127.0.0.1');
  const [run = ''] = fping.runs();
  assert.match(run, /-b 1464 /); // 1472 bytes of ICMP are 8 of header and 1464 of data
  assert.match(run, / -M /);
  assert.match(run, / -O 184 /);
});

// A stand-in for fping: answers 127.0.0.1, loses 192.0.2.1 (a line when its
// timeout passes), hears "host unreachable" for 2001:db8::1 from a router, and
// only lists 192.0.2.3 as lost in the closing summary. Sends nothing.
const SCRIPTED_FPING = `
cat > /dev/null
echo '127.0.0.1   : [0], 64 bytes, 0.123 ms (0.123 avg, 0% loss)'
echo 'ICMP Host Unreachable from 192.0.2.254 for ICMP Echo sent to 2001:db8::1' >&2
echo '127.0.0.1   : [0], duplicate for [0], 64 bytes, 0.200 ms'
echo '192.0.2.1   : [0], timed out (NaN avg, 100% loss)'
echo >&2
echo '127.0.0.1   : 0.123' >&2
echo '192.0.2.1   : -' >&2
echo '2001:db8::1 : -' >&2
echo '192.0.2.3   : -' >&2
exit 1`;

void test("icmp: each host's line in fping's output decides its check", async (t) => {
  const monitor = createIcmpMonitor({
    fpingPath: script(tempDir(t), 'fping', SCRIPTED_FPING),
    lookup: (host) => (host === 'lost.example' ? Promise.resolve('192.0.2.3') : Promise.reject(notFound(host))),
  });
  const signal = AbortSignal.timeout(5000); // not the reason for any outcome here

  const outcomes = await Promise.all(
    ['127.0.0.1', '192.0.2.1', '2001:db8::1', 'lost.example', 'no-such-host.invalid'].map((host) =>
      ping(monitor, host, { timeoutMs: 300, signal }),
    ),
  );

  assert.deepEqual(outcomes, [
    { status: 'UP', responseTimeMs: 0.123 },
    { status: 'DOWN', reason: 'no echo reply from 192.0.2.1 within 300 ms' },
    { status: 'DOWN', reason: 'host unreachable (reported by 192.0.2.254)' },
    { status: 'DOWN', reason: 'no echo reply from lost.example (192.0.2.3) within 300 ms' },
    { status: 'DOWN', reason: 'name does not resolve' },
  ]);
});

function notFound(host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
}

void test('icmp: UNKNOWN when fping cannot open an ICMP socket', async (t) => {
  const fping = script(tempDir(t), 'fping', `cat > /dev/null\necho 'fping: can'"'"'t create socket (must run as root?)' >&2\nexit 4`);
  const outcome = await ping(createIcmpMonitor({ fpingPath: fping }), '127.0.0.1');

  assert.equal(outcome.status, 'UNKNOWN');
  assert.match(outcome.reason ?? '', /^fping cannot open an ICMP socket \(give it cap_net_raw.*ping_group_range\)$/);
});

void test('icmp: UNKNOWN naming fping\'s complaint when it fails otherwise', async (t) => {
  const fping = script(tempDir(t), 'fping', `echo 'fping: something odd' >&2\nexit 3`);
  assert.deepEqual(await ping(createIcmpMonitor({ fpingPath: fping }), '127.0.0.1'), {
    status: 'UNKNOWN',
    reason: 'fping exited with code 3 without a result for 127.0.0.1: fping: something odd',
  });
});

void test('icmp: an aborted check resolves at once; the run goes on for the others', async (t) => {
  const dir = tempDir(t);
  const pidFile = path.join(dir, 'pid');
  // Answers 127.0.0.1 after 300 ms, never 127.0.0.2, then would linger for 10 s.
  const fping = script(
    dir,
    'fping',
    `echo $$ > '${pidFile}'\ncat > /dev/null\nsleep 0.3\necho '127.0.0.1 : [0], 64 bytes, 0.050 ms (0.050 avg, 0% loss)'\nexec sleep 10`,
  );
  const monitor = createIcmpMonitor({ fpingPath: fping });
  const controller = new AbortController();
  const target = { params: {}, timeoutMs: 1234 };

  const other = parseAndPoll(monitor, { host: '127.0.0.1', ...target }, AbortSignal.timeout(5000));
  const aborted = parseAndPoll(monitor, { host: '127.0.0.2', ...target }, controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 100)); // fping is running by now
  assert.ok(existsSync(pidFile), 'fping started');
  const abortedAt = performance.now();
  controller.abort();

  assert.deepEqual(await aborted, { status: 'DOWN', reason: 'timeout after 1234 ms' });
  assert.ok(performance.now() - abortedAt < 50, 'resolved as soon as the signal aborted');
  assert.deepEqual(await other, { status: 'UP', responseTimeMs: 0.05 });

  // With no check left waiting, the run is stopped rather than left to linger.
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const deadline = performance.now() + 1000;
  while (isAlive(pid) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(isAlive(pid), false, 'the fping run was stopped');
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

void test('icmp: a check aborted before its batch goes out is left out of it', { skip: NO_FPING }, async (t) => {
  const dir = tempDir(t);
  const hostsFile = path.join(dir, 'hosts');
  const fping = script(dir, 'fping', `tee '${hostsFile}' | '${REAL_FPING}' "$@"`);
  const monitor = createIcmpMonitor({ fpingPath: fping });
  const controller = new AbortController();

  const kept = ping(monitor, '127.0.0.1');
  const dropped = ping(monitor, '127.0.0.2', { timeoutMs: 777, signal: controller.signal });
  controller.abort();

  assert.deepEqual(await dropped, { status: 'DOWN', reason: 'timeout after 777 ms' });
  assertUp(await kept, '127.0.0.1');
  assert.equal(readFileSync(hostsFile, 'utf8'), '127.0.0.1\n');

  // Already aborted when the check starts.
  assert.deepEqual(await ping(monitor, '127.0.0.1', { timeoutMs: 55, signal: AbortSignal.abort() }), {
    status: 'DOWN',
    reason: 'timeout after 55 ms',
  });
});

void test('icmp: UNKNOWN with the install hint when fping is missing', async () => {
  const saved = process.env.VANTAGE_FPING;
  process.env.VANTAGE_FPING = '/nonexistent/fping';
  try {
    const outcome = await ping(createIcmpMonitor(), '127.0.0.1');
    assert.equal(outcome.status, 'UNKNOWN');
    assert.equal(outcome.reason, `${FPING_MISSING}: /nonexistent/fping is not an executable file`);
    assert.equal(FPING_MISSING, 'fping is not installed (install the fping package)');
  } finally {
    if (saved === undefined) delete process.env.VANTAGE_FPING;
    else process.env.VANTAGE_FPING = saved;
  }
});

void test('icmp: UNKNOWN with the install hint when fping disappears after it was found', async (t) => {
  const fping = script(
    tempDir(t),
    'fping',
    `cat > /dev/null\necho '127.0.0.1 : [0], 64 bytes, 0.050 ms (0.050 avg, 0% loss)'`,
  );
  const monitor = createIcmpMonitor({ fpingPath: fping });
  assert.equal((await ping(monitor, '127.0.0.1')).status, 'UP');

  rmSync(fping);

  assert.deepEqual(await ping(monitor, '127.0.0.1'), { status: 'UNKNOWN', reason: FPING_MISSING });
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  {
    params: { 'packet-size': 'abc' },
    reason: 'parameter "packet-size" must be an integer from 8 to 65495, got "abc"',
  },
  { params: { 'packet-size': '7' }, reason: 'parameter "packet-size" must be an integer from 8 to 65495, got "7"' },
  {
    params: { 'packet-size': '65496' },
    reason: 'parameter "packet-size" must be an integer from 8 to 65495, got "65496"',
  },
  {
    params: { 'allow-fragmentation': 'maybe' },
    reason: 'parameter "allow-fragmentation" must be "true" or "false", got "maybe"',
  },
  { params: { dscp: '256' }, reason: 'parameter "dscp" must be an integer from 0 to 255 (decimal or 0x hex), got "256"' },
  { params: { dscp: 'EF' }, reason: 'parameter "dscp" must be an integer from 0 to 255 (decimal or 0x hex), got "EF"' },
];

for (const { params, reason } of badParams) {
  void test(`icmp: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    // A missing fping must not hide the parameter's fault.
    const monitor = createIcmpMonitor({ fpingPath: '/nonexistent/fping' });
    assert.deepEqual(await ping(monitor, '127.0.0.1', { params }), { status: 'UNKNOWN', reason });
  });
}

void test('icmp: UNKNOWN for a host that is neither an address nor a name', async () => {
  assert.deepEqual(await ping(icmpMonitor, 'two words'), {
    status: 'UNKNOWN',
    reason: 'host "two words" is not an address or a name',
  });
});
