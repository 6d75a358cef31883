// ICMP echo ("ping") monitor.
//
// What it needs on the machine: the `fping` program (Debian/Ubuntu package
// `fping`; 5.0 or later, tested with 5.1), found on PATH or in /usr/sbin,
// /usr/bin, /sbin, /bin, /usr/local/sbin, /usr/local/bin, or named by the
// environment variable VANTAGE_FPING. Node has no raw or ICMP socket API, so
// fping sends the echo requests. The poller needs no root: fping either has
// the cap_net_raw capability (the Debian package installs it so; check with
// `getcap $(command -v fping)`) or is setuid root, or, without either, it uses
// the kernel's unprivileged ICMP datagram sockets, which Linux allows to the
// groups in `net.ipv4.ping_group_range` (e.g. `sysctl -w
// net.ipv4.ping_group_range="0 2147483647"`). fping 5.1 cannot read replies
// on those sockets (fping issue #248, fixed in 5.2): with 5.1, keep
// cap_net_raw. Without fping every check is UNKNOWN "fping is not installed
// (install the fping package)"; without the right to open an ICMP socket it is
// UNKNOWN saying so. (fping 4.3/4.4 work too, but report a lost host only when
// the whole run ends, so such a check ends with the caller's timeout.)
//
// How it scales: one poller may hold 100,000 services, and a process per
// check would not do. Checks that arrive within BATCH_WINDOW_MS of each other
// (and share the same packet options) go out together in ONE fping run,
// started at once when MAX_BATCH_HOSTS distinct addresses are waiting. The
// addresses are written to fping's stdin (`-f -`), so no argument-length
// limit applies. fping prints one line per host as soon as its reply arrives
// or its timeout passes (stdout, flushed per line), so every check resolves
// as early as it can, not when the whole batch is done. Host names are
// resolved here, per check (a slow DNS answer for one name must not hold up
// the batch, as fping's own sequential lookups would); IPv4 and IPv6
// addresses mix freely in one run (fping opens both sockets).

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import path from 'node:path';
import type { PollOutcome, ServiceMonitor } from './monitor.ts';
import { errorMessage, networkFailure, timeoutReason } from './outcomes.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';

/** How long the first check of a batch waits for others to join it. */
export const BATCH_WINDOW_MS = 20;
/** A batch is sent at once when this many distinct addresses are waiting. */
export const MAX_BATCH_HOSTS = 500;
/** fping's pause between two echo requests of one run (`-i`): 500 hosts go out within half a second. */
const SEND_INTERVAL_MS = 1;
/** How long a failed search for fping is remembered: installing it later needs no restart. */
const MISSING_RECHECK_MS = 60_000;
/** The ICMP echo header, which the OpenNMS-style `packet-size` counts and fping's `-b` does not. */
const ICMP_HEADER_BYTES = 8;
/** fping 5.1 refuses `-b` of 65488 and more. */
const MAX_DATA_BYTES = 65_487;
const MAX_TIMER_MS = 2_147_483_647;

export const FPING_MISSING = 'fping is not installed (install the fping package)';
const NO_SOCKET =
  'fping cannot open an ICMP socket (give it cap_net_raw, e.g. `setcap cap_net_raw+ep $(command -v fping)`, ' +
  'or allow unprivileged ping with sysctl net.ipv4.ping_group_range)';
const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

export interface IcmpMonitorOptions {
  /** The fping program; else the VANTAGE_FPING environment variable; else a search of PATH and the usual directories. */
  fpingPath?: string;
  /** Defaults to {@link BATCH_WINDOW_MS}. */
  batchWindowMs?: number;
  /** Defaults to {@link MAX_BATCH_HOSTS}. */
  maxBatchHosts?: number;
  /** Resolves a host name to one address; defaults to the system resolver (`dns.lookup`). */
  lookup?: (host: string) => Promise<string>;
}

/** fping options that apply to a whole run: checks only share a run when these agree. */
interface EchoOptions {
  /** ICMP data bytes (fping `-b`). */
  dataBytes: number;
  /** Set Don't Fragment (fping `-M`). */
  dontFragment: boolean;
  /** IPv4 TOS / IPv6 traffic-class byte (fping `-O`). */
  tos: number;
}

/**
 * Parameters, after OpenNMS's IcmpMonitor (`timeout` and `retry` belong to runCheck):
 * - `packet-size`: size of the ICMP echo request in bytes, header included
 *   (default 64, as ping and OpenNMS send; 8 to 65495); fping gets `-b` size − 8.
 * - `allow-fragmentation`: "false" sets Don't Fragment (fping `-M`); default "true".
 * - `dscp`: the byte for the IPv4 TOS / IPv6 traffic-class field, 0-255, decimal
 *   or 0x hex (0xb8 is DSCP EF); fping `-O`. Default 0.
 * OpenNMS's storage parameters (rrd-repository, ds-name, …) mean nothing here and are refused.
 */
const parameters = defineParameters({
  'packet-size': param.int({ min: ICMP_HEADER_BYTES, max: MAX_DATA_BYTES + ICMP_HEADER_BYTES }).default(64),
  'allow-fragmentation': param.boolean().default(true),
  dscp: param
    .custom((text, name) => {
      const value = /^\d+$/.test(text) ? Number(text) : /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text.slice(2), 16) : NaN;
      if (!(value >= 0 && value <= 255)) {
        throw new ParameterError(`parameter "${name}" must be an integer from 0 to 255 (decimal or 0x hex), got "${text}"`, name);
      }
      return value;
    })
    .default(0),
});

function parseEchoOptions(params: RawParams): EchoOptions {
  const values = parameters.read(params);
  return {
    dataBytes: values['packet-size'] - ICMP_HEADER_BYTES,
    dontFragment: !values['allow-fragmentation'],
    tos: values.dscp,
  };
}

/** One check waiting for its address's echo reply. */
interface Waiter {
  /** The host as the service names it, for the reason. */
  host: string;
  /** What fping is given and reports results under. */
  address: string;
  settle(outcome: PollOutcome): void;
  batch?: Batch;
}

/** Finds fping once and remembers it (a miss only for {@link MISSING_RECHECK_MS}). */
class FpingLocator {
  private found: string | undefined;
  private missingUntil = 0;
  private missingReason = FPING_MISSING;

  constructor(private readonly explicitPath: string | undefined) {}

  /** The program to run, or the UNKNOWN reason. */
  locate(): { path: string } | { reason: string } {
    if (this.found !== undefined) return { path: this.found };
    if (performance.now() < this.missingUntil) return { reason: this.missingReason };
    const explicit = this.explicitPath ?? (process.env.VANTAGE_FPING?.trim() || undefined);
    const candidates = explicit !== undefined ? [explicit] : searchPath();
    const hit = candidates.find(isExecutableFile);
    if (hit !== undefined) {
      this.found = hit;
      return { path: hit };
    }
    this.missingReason = explicit !== undefined ? `${FPING_MISSING}: ${explicit} is not an executable file` : FPING_MISSING;
    this.missingUntil = performance.now() + MISSING_RECHECK_MS;
    return { reason: this.missingReason };
  }

  /** The program vanished (spawn said ENOENT): look again next time. */
  forget(): void {
    this.found = undefined;
  }
}

function searchPath(): string[] {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => path.isAbsolute(dir));
  return [...new Set([...dirs, ...SEARCH_DIRS])].map((dir) => path.join(dir, 'fping'));
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** "ICMP Host Unreachable" → "host unreachable"; "ICMP Unreachable (Fragmentation Needed)" → "unreachable (fragmentation needed)". */
function icmpErrorReason(kind: string, from: string): string {
  const text = kind.replace(/^ICMP(v6)?\s+/i, '').toLowerCase();
  return `${text} (reported by ${from})`;
}

const REPLY_LINE = /^(\S+)\s+: \[\d+\], \d+ bytes, (\d+(?:\.\d+)?) ms/;
const TIMED_OUT_LINE = /^(\S+)\s+: \[\d+\], timed out/;
const SUMMARY_LINE = /^(\S+)\s+: (-|\d+(?:\.\d+)?)$/;
const ICMP_ERROR_LINE = /^(.+?) from (\S+) for ICMP Echo sent to (\S+)/;
const SEND_ERROR_LINE = /^(\S+): error while sending ping: (.+)$/;
const HOST_ERROR_LINE = /^(\S+): (.+)$/;

/**
 * The checks that go out in one fping run: collected for the batch window,
 * then run. Results are matched to checks by address.
 */
class Batch {
  readonly waiters = new Map<string, Set<Waiter>>();
  private timeoutMs = 1;
  private timer: NodeJS.Timeout | undefined;
  private child: ChildProcess | undefined;
  private running = false;
  private finished = false;
  /** Addresses fping's closing summary lists as lost ("HOST : -"). */
  private readonly lost = new Set<string>();
  /** stderr lines that concern no host of the batch (fping's own errors). */
  private readonly otherErrors: string[] = [];

  constructor(
    readonly key: string,
    private readonly options: EchoOptions,
    private readonly fpingPath: string,
    private readonly locator: FpingLocator,
    private readonly onClosed: (batch: Batch) => void,
  ) {}

  get hostCount(): number {
    return this.waiters.size;
  }

  get isRunning(): boolean {
    return this.running;
  }

  add(waiter: Waiter, timeoutMs: number): void {
    waiter.batch = this;
    let set = this.waiters.get(waiter.address);
    if (!set) this.waiters.set(waiter.address, (set = new Set()));
    set.add(waiter);
    this.timeoutMs = Math.max(this.timeoutMs, timeoutMs);
  }

  startTimer(windowMs: number, flush: () => void): void {
    this.timer = setTimeout(flush, windowMs);
  }

  /** A check gave up (its signal aborted): forget it, and stop fping once nobody waits. */
  remove(waiter: Waiter): void {
    const set = this.waiters.get(waiter.address);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.waiters.delete(waiter.address);
    if (this.waiters.size > 0) return;
    if (this.running) this.stop();
    else {
      clearTimeout(this.timer);
      this.onClosed(this);
    }
  }

  run(): void {
    clearTimeout(this.timer);
    this.running = true;
    const { dataBytes, dontFragment, tos } = this.options;
    // -C 1: one echo request per host, and without -q a line per host the
    // moment it answers or times out; -r 0: runCheck owns retries; -t: the
    // longest timeout among the batch's checks (one with a shorter timeout is
    // ended by its own signal); -i 1: 1 ms between two hosts' requests.
    const args = ['-C', '1', '-r', '0', '-t', String(this.timeoutMs), '-i', String(SEND_INTERVAL_MS)];
    args.push('-b', String(dataBytes));
    if (dontFragment) args.push('-M');
    if (tos !== 0) args.push('-O', String(tos));
    args.push('-f', '-');

    let child: ChildProcess;
    try {
      child = spawn(this.fpingPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      this.spawnFailed(err);
      return;
    }
    this.child = child;
    child.on('error', (err) => this.spawnFailed(err));
    child.on('close', (code, signal) => this.closed(code, signal));
    // fping may exit before reading everything (bad option): EPIPE is not a crash.
    child.stdin?.on('error', () => {});
    child.stdin?.end([...this.waiters.keys()].join('\n') + '\n');
    forEachLine(child.stdout, (line) => this.stdoutLine(line));
    forEachLine(child.stderr, (line) => this.stderrLine(line));

    // Belt and braces: every check aborts by its timeout and the last abort
    // stops fping, but a caller without a timeout must not leave it running.
    const hosts = this.waiters.size;
    const limitMs = Math.min(this.timeoutMs + hosts * SEND_INTERVAL_MS + 10_000, MAX_TIMER_MS);
    const guard = setTimeout(() => this.stop(), limitMs);
    guard.unref();
    child.once('close', () => clearTimeout(guard));
  }

  private stdoutLine(line: string): void {
    let m = REPLY_LINE.exec(line);
    if (m) return this.settle(m[1], { status: 'UP', responseTimeMs: Number(m[2]) });
    m = TIMED_OUT_LINE.exec(line);
    if (m) return this.settle(m[1], (waiter) => this.noReply(waiter));
    // Anything else on stdout ("duplicate for [0]", …) decides nothing.
  }

  private stderrLine(line: string): void {
    if (line.trim() === '') return;
    let m = SUMMARY_LINE.exec(line);
    if (m) {
      const [, address = '', result] = m;
      if (result === '-') this.lost.add(address);
      else this.settle(address, { status: 'UP', responseTimeMs: Number(result) });
      return;
    }
    m = ICMP_ERROR_LINE.exec(line);
    if (m) {
      const [, kind = '', from = '', address = ''] = m;
      // Redirects and source quench say nothing about the host; wait for the reply.
      if (/redirect|source quench/i.test(kind)) return;
      return this.settle(address, { status: 'DOWN', reason: icmpErrorReason(kind, from) });
    }
    m = SEND_ERROR_LINE.exec(line);
    if (m && this.waiters.has(m[1] ?? '')) {
      return this.settle(m[1], { status: 'DOWN', reason: `echo request not sent: ${m[2]}` });
    }
    m = HOST_ERROR_LINE.exec(line);
    if (m && this.waiters.has(m[1] ?? '')) {
      const message = m[2] ?? '';
      if (/not known|no address associated|does not resolve/i.test(message)) {
        return this.settle(m[1], { status: 'DOWN', reason: 'name does not resolve' });
      }
      return this.settle(m[1], { status: 'UNKNOWN', reason: `fping: ${message}` });
    }
    this.otherErrors.push(line.trim());
  }

  /** The DOWN outcome for a check fping got no reply for. */
  private noReply(waiter: Waiter): PollOutcome {
    const who = waiter.host === waiter.address ? waiter.host : `${waiter.host} (${waiter.address})`;
    return { status: 'DOWN', reason: `no echo reply from ${who} within ${this.timeoutMs} ms` };
  }

  /** Resolves every check waiting on `address`. */
  private settle(address: string | undefined, outcome: PollOutcome | ((waiter: Waiter) => PollOutcome)): void {
    const set = address === undefined ? undefined : this.waiters.get(address);
    if (!set || address === undefined) return;
    this.waiters.delete(address);
    for (const waiter of set) waiter.settle(typeof outcome === 'function' ? outcome(waiter) : outcome);
    // The others gave up earlier: nothing is left to wait for.
    if (this.waiters.size === 0 && this.running) this.stop();
  }

  private settleAll(outcomeFor: (waiter: Waiter) => PollOutcome): void {
    for (const address of [...this.waiters.keys()]) this.settle(address, outcomeFor);
  }

  private spawnFailed(err: unknown): void {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      this.locator.forget();
      this.settleAll(() => ({ status: 'UNKNOWN', reason: FPING_MISSING }));
    } else {
      this.settleAll(() => ({ status: 'UNKNOWN', reason: `cannot run ${this.fpingPath}: ${errorMessage(err)}` }));
    }
    this.finish();
  }

  private closed(code: number | null, signal: NodeJS.Signals | null): void {
    const failure = this.otherErrors.find((line) => line !== '');
    this.settleAll((waiter) => {
      if (this.lost.has(waiter.address)) return this.noReply(waiter);
      if (this.otherErrors.some((line) => /can't create socket|Operation not permitted|Permission denied/i.test(line))) {
        return { status: 'UNKNOWN', reason: NO_SOCKET };
      }
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      return { status: 'UNKNOWN', reason: `fping ${how} without a result for ${waiter.address}${failure ? `: ${failure}` : ''}` };
    });
    this.finish();
  }

  private stop(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // Do not wait for a child of fping's that might hold the pipes open.
    child?.stdout?.destroy();
    child?.stderr?.destroy();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onClosed(this);
  }
}

function forEachLine(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    rest += chunk;
    let newline: number;
    while ((newline = rest.indexOf('\n')) >= 0) {
      onLine(rest.slice(0, newline).replace(/\r$/, ''));
      rest = rest.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
    rest = '';
  });
  stream.on('error', () => {});
}

/** Gathers checks into batches by their fping options and runs each batch once. */
class Batcher {
  private readonly collecting = new Map<string, Batch>();

  constructor(
    private readonly locator: FpingLocator,
    private readonly windowMs: number,
    private readonly maxHosts: number,
  ) {}

  add(waiter: Waiter, options: EchoOptions, timeoutMs: number, fpingPath: string): void {
    const key = `${options.dataBytes}|${options.dontFragment}|${options.tos}|${fpingPath}`;
    let batch = this.collecting.get(key);
    if (!batch) {
      const created = new Batch(key, options, fpingPath, this.locator, (closed) => this.forget(closed));
      this.collecting.set(key, created);
      created.startTimer(this.windowMs, () => this.flush(created));
      batch = created;
    }
    batch.add(waiter, timeoutMs);
    if (batch.hostCount >= this.maxHosts) this.flush(batch);
  }

  private flush(batch: Batch): void {
    this.forget(batch);
    if (!batch.isRunning && batch.hostCount > 0) batch.run();
  }

  private forget(batch: Batch): void {
    if (this.collecting.get(batch.key) === batch) this.collecting.delete(batch.key);
  }
}

async function systemLookup(host: string): Promise<string> {
  return (await dnsLookup(host)).address;
}

/**
 * Builds an ICMP monitor with its own fping lookup and batches. The poller
 * uses {@link icmpMonitor}; tests build their own to point at another fping.
 */
export function createIcmpMonitor(options: IcmpMonitorOptions = {}): ServiceMonitor<EchoOptions> {
  const locator = new FpingLocator(options.fpingPath);
  const batcher = new Batcher(locator, options.batchWindowMs ?? BATCH_WINDOW_MS, options.maxBatchHosts ?? MAX_BATCH_HOSTS);
  const lookup = options.lookup ?? systemLookup;

  return {
    name: 'icmp',
    parameters,
    parse: parseEchoOptions,
    poll(target, signal) {
      const host = target.host.trim();
      if (host === '' || /[\s#]/.test(host)) {
        return Promise.resolve({ status: 'UNKNOWN', reason: `host "${target.host}" is not an address or a name` });
      }
      if (signal.aborted) return Promise.resolve({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
      const fping = locator.locate();
      if ('reason' in fping) return Promise.resolve({ status: 'UNKNOWN', reason: fping.reason });

      return new Promise<PollOutcome>((resolve) => {
        let done = false;
        const waiter: Waiter = {
          host,
          address: host,
          settle(outcome) {
            if (done) return;
            done = true;
            signal.removeEventListener('abort', onAbort);
            resolve(outcome);
          },
        };
        function onAbort(): void {
          waiter.batch?.remove(waiter);
          waiter.settle({ status: 'DOWN', reason: timeoutReason(target.timeoutMs) });
        }
        signal.addEventListener('abort', onAbort, { once: true });

        const enqueue = (address: string): void => {
          if (done) return;
          waiter.address = address;
          batcher.add(waiter, target.settings, target.timeoutMs, fping.path);
        };
        if (net.isIP(host)) {
          enqueue(host);
          return;
        }
        lookup(host).then(enqueue, (err: unknown) => {
          const code = (err as NodeJS.ErrnoException | undefined)?.code;
          waiter.settle(
            code === 'ENOTFOUND' || code === 'ENODATA'
              ? { status: 'DOWN', reason: 'name does not resolve' }
              : networkFailure(err, signal, target.timeoutMs),
          );
        });
      });
    },
  };
}

/** The ICMP echo monitor (`icmp`), batching its checks into fping runs. */
export const icmpMonitor: ServiceMonitor<EchoOptions> = createIcmpMonitor();
