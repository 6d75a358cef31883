/**
 * CPU per check of the whole poller as it is deployed (the single-file bundle:
 * schedule, HTTP check, spool on disk with group commit and fdatasync, report
 * over WebSocket to a real backend, check-ins) beside a bare Node loop doing
 * the same HTTP requests at the same rate (the floor), both as processes of
 * their own, in one run. The target and the backend run in other processes,
 * so only the checking side is measured: the CPU time of all its threads,
 * from each thread's /proc/PID/task/TID/schedstat (nanoseconds, where
 * /proc/PID/stat counts 10 ms ticks), over a window after a warm-up; where
 * taskset is at hand, what is measured runs on the first CPU and the target
 * and backend on the second.
 *
 * Load elsewhere on the machine comes and goes, so the floor is measured
 * before and after each round of the whole poller (floor, poller, floor,
 * poller, …, floor): each round's ratio is the poller's CPU per check over the
 * mean of the floors on either side, and the median of the rounds is
 * reported. Below 1,000 checks/s a window holds a few hundred milliseconds of
 * CPU, so that rate gets two more rounds (its median was the noisier one).
 * Target: at most 1.2× at both rates.
 *
 *   node --import tsx bench/poller-cost.bench.ts [seconds] [rounds]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_TOKEN, benchLocation, onCpu, startBenchBackend, startHttpTarget, type HttpTarget } from './support/bench-backend.ts';

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const RATES = (process.env.VANTAGE_BENCH_RATES ?? '250,2000').split(',').map(Number);
const WARM_UP_MS = 5_000;
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(REPO_ROOT, 'frontend-poller/dist/vantage-poller.mjs');
/** Below this rate a round's windows hold little CPU: more rounds. */
const LOW_RATE = 1_000;
const LOW_RATE_EXTRA_ROUNDS = 2;

/** The floor, in plain JavaScript: a fresh connection per request (as the monitor makes), started from a timer, nothing else. */
const BARE_LOOP = `
const http = require('node:http');
const [port, perSecond] = process.argv.slice(1).map(Number);
const tickMs = 10;
let owed = 0;
setInterval(() => {
  for (owed += (perSecond * tickMs) / 1000; owed >= 1; owed--) {
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false, signal: AbortSignal.timeout(3000) }, (res) => res.resume());
    req.on('error', () => {});
    req.end();
  }
}, tickMs);
`;

const build = spawnSync(process.execPath, ['--import', 'tsx', 'frontend-poller/build.ts', '--if-stale'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('the poller bundle did not build');

const target = await startHttpTarget();
// The backend ingests the poller's results on the target's CPU, and only in the poller's windows: niced, it does
// not slow the target's answers there (slow answers hold the poller at its parallel-tasks bound, the floor has none).
const backend = await startBenchBackend(RATES.map((rate) => benchLocation(`R${rate}`, rate, 1_000, target.port)).join(''), '', { niceness: 10 });
const ratios: string[] = [];
try {
  for (const rate of RATES) {
    const roundsAtRate = rate < LOW_RATE ? rounds + LOW_RATE_EXTRA_ROUNDS : rounds;
    const floor = () => measure(target, spawn(...onCpu(0, process.execPath, ['-e', BARE_LOOP, String(target.port), String(rate)]), { stdio: 'ignore' }));
    const measured: number[] = [];
    let floorBefore = await floor();
    for (let round = 1; round <= roundsAtRate; round++) {
      const stateDir = mkdtempSync(join(tmpdir(), 'vantage-bench-poller-'));
      const whole = await measure(
        target,
        spawn(...onCpu(0, process.execPath, [BUNDLE, '--server', `ws://127.0.0.1:${backend.port}/rpc`, '--location', `R${rate}`, '--name', `bench-${rate}-${round}`, '--state-dir', stateDir, '--log-level', 'warn']), {
          env: { ...process.env, VANTAGE_TOKEN: BENCH_TOKEN },
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
      rmSync(stateDir, { recursive: true, force: true });
      const floorAfter = await floor();
      const floorMs = (floorBefore.cpuMsPerCheck + floorAfter.cpuMsPerCheck) / 2;
      const ratio = whole.cpuMsPerCheck / floorMs;
      measured.push(ratio);
      console.log(
        `${rate} checks/s, round ${round}: bare loop ${floorBefore.cpuMsPerCheck.toFixed(4)} then ${floorAfter.cpuMsPerCheck.toFixed(4)} ms CPU per check (${floorBefore.checks}, ${floorAfter.checks} checks); ` +
          `whole poller ${whole.cpuMsPerCheck.toFixed(4)} ms (${whole.checks} checks): ${ratio.toFixed(2)}× the floor`,
      );
      floorBefore = floorAfter;
    }
    const median = [...measured].sort((a, b) => a - b)[Math.floor(measured.length / 2)]!;
    ratios.push(`${rate}/s ${median.toFixed(2)}× (${measured.length} rounds)`);
  }
  console.log(`whole poller / bare loop, median of the rounds: ${ratios.join(', ')} (target ≤ 1.2× at both)`);
} finally {
  await backend.stop();
  target.stop();
}

/** The process's CPU per request the target answered, over a window after the warm-up; then it is stopped. */
async function measure(t: HttpTarget, child: ChildProcess): Promise<{ cpuMsPerCheck: number; checks: number }> {
  try {
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const cpuBefore = cpuMs(child.pid!);
    const countBefore = await t.count();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = cpuMs(child.pid!) - cpuBefore;
    const checks = (await t.count()) - countBefore;
    return { cpuMsPerCheck: cpu / checks, checks };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/**
 * CPU time of a process so far, in ms: the sum over its threads of the time
 * they ran (the first field of schedstat, in ns; user and system alike).
 */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read: its time is gone with it
    }
  }
  return ns / 1e6;
}
