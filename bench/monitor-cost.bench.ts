/**
 * CPU time per check of the TCP and HTTP monitors, beside a bare Node loop
 * doing the same socket work with no monitor code (the floor), at a fixed
 * rate against local servers running in a separate process (so only the
 * checking side is measured). Prints the ratio; the target is at most 1.5×.
 *
 *   node --import tsx bench/monitor-cost.bench.ts [checksPerSecond] [seconds]
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitors, prepareCheck } from '@vantage/monitors';

const ratePerSecond = Number(process.argv[2] ?? 2_000);
const seconds = Number(process.argv[3] ?? 4);
const total = ratePerSecond * seconds;

// ---- the servers, in a child process ----
if (process.env.VANTAGE_BENCH_SERVER === '1') {
  const tcp = net.createServer((socket) => socket.on('error', () => undefined).end());
  const web = http.createServer((_req, res) => res.end('ok'));
  web.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  process.send!({ tcpPort: (tcp.address() as net.AddressInfo).port, httpPort: (web.address() as net.AddressInfo).port });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

async function main(): Promise<void> {
  const server: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, VANTAGE_BENCH_SERVER: '1' },
    execArgv: ['--import', 'tsx'],
  });
  const ports = await new Promise<{ tcpPort: number; httpPort: number }>((resolve) => server.once('message', (m) => resolve(m as never)));

  const bareTcp = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: ports.tcpPort, signal: AbortSignal.timeout(3_000) });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => resolve());
    });
  const bareHttp = () =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: ports.httpPort, path: '/', agent: false, signal: AbortSignal.timeout(3_000) }, (res) => {
        res.resume();
        res.once('end', () => resolve());
      });
      req.once('error', () => resolve());
      req.end();
    });
  const service = (monitor: string, port: number) => ({ monitor, host: '127.0.0.1', params: { port: String(port) } });
  const tcpService = service('tcp', ports.tcpPort);
  const httpService = service('http', ports.httpPort);
  let failures = 0;
  // Prepared once, run many times, as the poller does: the parameters are not read again per check.
  const viaMonitor = (s: typeof tcpService) => {
    const prepared = prepareCheck(monitors, s, 3_000);
    return async () => {
      const outcome = await prepared.run();
      if (outcome.status !== 'UP') failures++;
    };
  };

  const cases: [string, () => Promise<void>][] = [
    ['TCP  bare loop', bareTcp],
    ['TCP  monitor  ', viaMonitor(tcpService)],
    ['HTTP bare loop', bareHttp],
    ['HTTP monitor  ', viaMonitor(httpService)],
  ];
  // Warm up every path once so JIT compilation does not land on the first case.
  for (const [, check] of cases) await runAtRate(check, 200, 0.5);

  const perCheckMs = new Map<string, number>();
  for (const [name, check] of cases) {
    const cpuMs = await runAtRate(check, ratePerSecond, seconds);
    perCheckMs.set(name, cpuMs / total);
    console.log(`${name}: ${(cpuMs / total).toFixed(4)} ms CPU per check (${total} checks at ${ratePerSecond}/s)`);
  }
  const ratio = (a: string, b: string) => (perCheckMs.get(a)! / perCheckMs.get(b)!).toFixed(2);
  console.log(`TCP  monitor / bare: ${ratio('TCP  monitor  ', 'TCP  bare loop')}× (target ≤ 1.5×)`);
  console.log(`HTTP monitor / bare: ${ratio('HTTP monitor  ', 'HTTP bare loop')}× (target ≤ 1.5×)`);
  if (failures) console.log(`(${failures} monitor checks were not UP)`);
  server.disconnect();
}

/** Starts `check` at a fixed rate for `seconds`, waits for all to finish, returns the CPU ms used. */
async function runAtRate(check: () => Promise<void>, perSecond: number, seconds: number): Promise<number> {
  const count = Math.round(perSecond * seconds);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  const pending: Promise<void>[] = [];
  const before = process.cpuUsage();
  await new Promise<void>((resolve) => {
    let started = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && started < count; i++, started++) pending.push(check());
      if (started >= count) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  await Promise.all(pending);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}
