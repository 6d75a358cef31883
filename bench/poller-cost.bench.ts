/**
 * CPU per check of the whole poller (schedule, HTTP check, spool on disk with
 * group commit and fdatasync, report over WebSocket to a real backend, check
 * in) beside a bare Node loop doing the same HTTP requests at the same rate
 * (the floor), in one run. The target and the backend run in other processes,
 * so only the poller's side is measured. Target: at most 1.2× at both rates.
 *
 *   node --import tsx bench/poller-cost.bench.ts [seconds]
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWsTransport, Poller } from '@vantage/frontend-poller';
import { createLogger } from '@vantage/runtime';
import { BENCH_TOKEN, benchLocation, startBenchBackend, startHttpTarget, type HttpTarget } from './support/bench-backend.ts';

const seconds = Number(process.argv[2] ?? 20);
const RATES = [250, 2_000];
const WARM_UP_MS = 5_000;

const target = await startHttpTarget();
const backend = await startBenchBackend(RATES.map((rate) => benchLocation(`R${rate}`, rate, 1_000, target.port)).join(''));
const ratios: string[] = [];
try {
  for (const rate of RATES) {
    const floor = await bareLoop(target, rate, seconds);
    const whole = await wholePoller(target, `R${rate}`, seconds);
    const ratio = whole.cpuMsPerCheck / floor.cpuMsPerCheck;
    console.log(
      `${rate} checks/s: bare loop ${floor.cpuMsPerCheck.toFixed(4)} ms CPU per check (${floor.checks} checks); ` +
        `whole poller ${whole.cpuMsPerCheck.toFixed(4)} ms (${whole.checks} checks) — ${ratio.toFixed(2)}× the floor`,
    );
    ratios.push(`${rate}/s ${ratio.toFixed(2)}×`);
  }
  console.log(`whole poller / bare loop: ${ratios.join(', ')} (target ≤ 1.2× at both)`);
} finally {
  await backend.stop();
  target.stop();
}

/** The floor: the same requests (a fresh connection each, as the monitor makes) from a timer, nothing else. */
async function bareLoop(t: HttpTarget, perSecond: number, forSeconds: number): Promise<{ cpuMsPerCheck: number; checks: number }> {
  const request = () =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: t.port, path: '/', agent: false, signal: AbortSignal.timeout(3_000) }, (res) => {
        res.resume();
        res.once('end', () => resolve());
      });
      req.once('error', () => resolve());
      req.end();
    });
  const run = async (ms: number) => {
    const tickMs = 10;
    const perTick = (perSecond * tickMs) / 1000;
    const pending = new Set<Promise<void>>();
    let owed = 0;
    let started = 0;
    await new Promise<void>((resolve) => {
      const until = Date.now() + ms;
      const timer = setInterval(() => {
        owed += perTick;
        for (; owed >= 1; owed--, started++) {
          const p = request().finally(() => pending.delete(p));
          pending.add(p);
        }
        if (Date.now() >= until) {
          clearInterval(timer);
          resolve();
        }
      }, tickMs);
    });
    await Promise.all(pending);
    return started;
  };
  await run(WARM_UP_MS);
  const before = process.cpuUsage();
  const checks = await run(forSeconds * 1000);
  const used = process.cpuUsage(before);
  return { cpuMsPerCheck: (used.user + used.system) / 1000 / checks, checks };
}

/** The poller, in this process, registered at the location and polling its package against the target. */
async function wholePoller(t: HttpTarget, location: string, forSeconds: number): Promise<{ cpuMsPerCheck: number; checks: number }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vantage-bench-poller-'));
  const server = `ws://127.0.0.1:${backend.port}/rpc`;
  const poller = new Poller({
    servers: [server],
    location,
    name: `bench-${location}`,
    token: BENCH_TOKEN,
    stateDir,
    connect: async (url, credentials) => openWsTransport({ url, credentials }),
    log: createLogger('poller', 'warn', () => undefined),
  });
  void poller.start();
  try {
    while (poller.services.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const startCount = await t.count();
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, forSeconds * 1000));
    const used = process.cpuUsage(before);
    const checks = (await t.count()) - startCount;
    return { cpuMsPerCheck: (used.user + used.system) / 1000 / checks, checks };
  } finally {
    await poller.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}
