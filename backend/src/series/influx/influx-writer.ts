/**
 * Sends response-time points to InfluxDB (v2 write API) beside the embedded store.
 *
 * - `write` is synchronous: it formats one line of line protocol and appends
 *   it to a disk spool (the runtime's DiskSpool, the same one the poller keeps
 *   its results in). It never touches the network and never throws, so the
 *   ingest of results never waits on InfluxDB.
 * - A flush loop (one pass at a time, unref'd timer) reads batches of
 *   `batchSize` points from the spool in order, sends each with the client's
 *   transport and acknowledges it once InfluxDB accepted it. We do not use the
 *   client's `WriteApi`: its retry buffer lives in memory and it logs to the
 *   console; we need the waiting points on disk and our own logger.
 * - A batch that cannot be sent (network error, timeout, 5xx, 408, 429) stays
 *   in the spool and is retried with exponential backoff (1 s doubling to
 *   60 s); every point behind it waits, so InfluxDB receives them in order.
 * - Any other 4xx (bad data, bad token, wrong org or bucket) would be refused
 *   again on every retry, so the batch is logged with the server's answer and
 *   dropped (counted in `rejected`) instead of blocking the spool forever.
 * - The spool is bounded by `maxSpoolBytes` on disk: when over, the OLDEST
 *   points go (counted in `dropped`, logged). Recent data is worth more than
 *   old data for a response-time dashboard. It survives a restart.
 *
 * The spool is written without fsync: points survive a crash or restart of
 * the process, not necessarily a power loss of the last second or so.
 */
import { HttpError, InfluxDB, RequestTimedOutError, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import { Backoff, DiskSpool, type Logger } from '@vantage/runtime';
import { toLineProtocol, type ResponsePoint } from './line-protocol.ts';

export interface InfluxWriterOptions {
  /** Base URL of InfluxDB, e.g. `http://influx:8086`. */
  url: string;
  token?: string;
  org: string;
  bucket: string;
  /** Directory of the disk spool; created when missing. One writer per directory. */
  spoolDir: string;
  /** Bound of the disk spool (default 256 MiB); the oldest points go first. */
  maxSpoolBytes?: number;
  /** Points per request (default 5000); a full batch is sent without waiting for the timer. */
  batchSize?: number;
  /** How often the flush loop runs (default 1000 ms). */
  flushIntervalMs?: number;
  log: Logger;
  /** Clock for backoff and outage durations (default `Date.now`). */
  now?: () => number;
  /** First retry delay after a failure (default 1000 ms); doubles per failure. */
  retryMinMs?: number;
  /** Cap of the retry delay (default 60000 ms). */
  retryMaxMs?: number;
  /**
   * Bound of the points waiting in memory for the spool (default 64 MiB of
   * line protocol). Only reached when writes outrun the event loop (a long
   * synchronous burst); beyond it the oldest are dropped and counted.
   */
  maxBufferedBytes?: number;
  /** Socket timeout of one write request (default 10000 ms). */
  requestTimeoutMs?: number;
}

export interface InfluxWriterStats {
  /** Points InfluxDB accepted. */
  written: number;
  /** Points in the disk spool, waiting for InfluxDB. */
  spooledPoints: number;
  /** Bytes on disk of the points waiting. */
  spoolBytes: number;
  /** Points in memory, not yet in the spool. */
  bufferedPoints: number;
  /** Points lost: dropped to keep the spool bounded, or written after `close`. */
  dropped: number;
  /** Points InfluxDB refused with a 4xx (other than 408/429), or that could not be formatted. */
  rejected: number;
  /** Why the last attempt failed; absent once a request succeeds again. */
  lastError?: string;
}

const MiB = 1024 * 1024;
/** Warnings that could repeat on every write (closed, bad points) are logged at most this often. */
const NOISY_LOG_EVERY_MS = 60_000;

type Outcome = 'sent' | 'rejected' | 'failed';

export class InfluxWriter {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly transport: Transport;
  private readonly writePath: string;
  private readonly sendOptions: SendOptions;
  /** The URL without credentials, for log lines. */
  private readonly where: string;
  private readonly spoolDir: string;
  private readonly spool: DiskSpool;
  private readonly batchSize: number;
  private readonly requestTimeoutMs: number;
  private readonly retryBackoff: Backoff;

  /** Points written since the flush loop last took a batch: a full batch goes at once. */
  private sinceLastBatch = 0;
  private written = 0;
  private droppedAfterClose = 0;
  private rejected = 0;
  private lastError: string | undefined;
  private retryAt = 0;
  private outageSince: number | undefined;
  /** Points sent since the last outage began, for the recovery message. */
  private resentPoints = 0;

  private readonly timer: NodeJS.Timeout;
  private busy: Promise<void> | undefined;
  private kickScheduled = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly noisy = new Map<string, { at: number; suppressed: number }>();

  /**
   * Picks up the spool an earlier run left and starts the flush loop. Throws
   * only on a configuration mistake: an invalid URL, or a spool directory that
   * cannot be created or read.
   */
  constructor(options: InfluxWriterOptions) {
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.spoolDir = options.spoolDir;
    this.batchSize = Math.max(1, options.batchSize ?? 5000);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    const retryMinMs = options.retryMinMs ?? 1000;
    this.retryBackoff = new Backoff({ initialMs: retryMinMs, maxMs: Math.max(retryMinMs, options.retryMaxMs ?? 60_000), jitter: 0 });

    const url = options.url.replace(/\/+$/, '');
    this.where = withoutCredentials(url);
    this.transport = new InfluxDB({ url, ...(options.token ? { token: options.token } : {}), timeout: this.requestTimeoutMs }).transport;
    this.writePath = `/api/v2/write?org=${encodeURIComponent(options.org)}&bucket=${encodeURIComponent(options.bucket)}&precision=ms`;
    // Line protocol compresses about tenfold; the client gzips bodies above the threshold.
    this.sendOptions = { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, gzipThreshold: 1024 };

    const flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.spool = DiskSpool.open({
      dir: this.spoolDir,
      maxBytes: options.maxSpoolBytes ?? 256 * MiB,
      // A batch a segment or so, so that the bound drops old points a batch at a time.
      segmentBytes: Math.max(64 * 1024, Math.min(MiB, this.batchSize * 200)),
      commitIntervalMs: flushIntervalMs,
      commitRecords: this.batchSize,
      maxBufferBytes: options.maxBufferedBytes ?? 64 * MiB,
      fsync: false,
      log: this.log.child('spool'),
      now: this.now,
    });
    const waiting = this.spool.stats();
    if (waiting.records > 0) {
      this.log.info(`picked up ${count(waiting.records)} points (${size(waiting.bytes)}) left for InfluxDB at ${this.where} in ${this.spoolDir}`);
    }
    this.timer = setInterval(() => this.tick(), flushIntervalMs).unref();
  }

  /**
   * Queues one point. Synchronous, never throws, never waits for InfluxDB: the
   * flush loop sends it later. A point that cannot be formatted is counted in
   * `rejected` and logged.
   */
  write(point: ResponsePoint): void {
    try {
      if (this.closed) {
        this.droppedAfterClose++;
        this.noisyWarn('closed', (n) => `write after close: point of ${point.serviceId} dropped${more(n)}`);
        return;
      }
      this.spool.append(toLineProtocol(point), this.now());
      if (++this.sinceLastBatch >= this.batchSize) this.kick();
    } catch (err) {
      this.rejected++;
      this.noisyWarn('invalid', (n) => `point of ${describePoint(point)} not written to InfluxDB: ${errorText(err)}${more(n)}`);
    }
  }

  /**
   * Sends what it can now, after any pass already running, ignoring the
   * current backoff (one attempt). What cannot be sent is on disk when it resolves.
   */
  async flush(): Promise<void> {
    while (this.busy) await this.busy;
    await this.run(true);
  }

  /**
   * Stops the timer and makes a last attempt: every point is then either in
   * InfluxDB or in the spool for the next start. Writes after this are dropped.
   * Waits at most for one request timeout.
   */
  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    await this.closing;
  }

  stats(): InfluxWriterStats {
    const spool = this.spool.stats();
    return {
      written: this.written,
      spooledPoints: spool.records - spool.uncommitted,
      spoolBytes: spool.bytes,
      bufferedPoints: spool.uncommitted,
      dropped: spool.dropped + this.droppedAfterClose,
      rejected: this.rejected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    await this.spool.close();
    const left = this.spool.stats().records;
    if (left > 0) this.log.info(`closed: ${count(left)} points kept on disk in ${this.spoolDir} for the next start`);
  }

  private tick(): void {
    if (this.busy || this.closed) return;
    void this.run(false);
  }

  /** A full batch is sent at once rather than at the next tick (unless a pass is running: it takes it). */
  private kick(): void {
    if (this.busy || this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(() => {
      this.kickScheduled = false;
      if (!this.busy && !this.closed) void this.run(false);
    }).unref();
  }

  private run(force: boolean): Promise<void> {
    const pass: Promise<void> = this.pass(force)
      .catch((err: unknown) => this.log.error(`InfluxDB flush failed: ${(err as Error)?.stack ?? String(err)}`))
      .finally(() => {
        if (this.busy === pass) this.busy = undefined;
      });
    this.busy = pass;
    return pass;
  }

  /**
   * One pass of the flush loop: batches from the spool, oldest first, up to the
   * points present when it began, so that `flush` ends under a steady stream of
   * writes; the next tick takes the rest.
   */
  private async pass(force: boolean): Promise<void> {
    if (!force && this.now() < this.retryAt) return;
    this.sinceLastBatch = 0;
    await this.spool.commit();
    const until = this.spool.committedSeq;
    for (;;) {
      const batch = await this.spool.read(this.batchSize);
      if (batch.length === 0 || batch[0]!.seq > until) return;
      const lastSeq = batch.at(-1)!.seq;
      const outcome = await this.send(batch.map((r) => r.text).join('\n') + '\n', batch.length);
      if (outcome === 'failed') {
        this.backoff();
        return;
      }
      this.spool.acknowledge(lastSeq);
      if (outcome === 'sent' && this.outageSince !== undefined) this.resentPoints += batch.length;
      if (outcome === 'sent' && this.spool.stats().records === 0) this.recovered();
      if (lastSeq >= until) return;
    }
  }

  private async send(body: string, points: number): Promise<Outcome> {
    try {
      await this.transport.request(this.writePath, body, this.sendOptions);
      this.written += points;
      this.lastError = undefined;
      this.retryBackoff.reset();
      return 'sent';
    } catch (err) {
      if (err instanceof HttpError && err.statusCode >= 400 && err.statusCode < 500 && err.statusCode !== 408 && err.statusCode !== 429) {
        // Bad data, token, org or bucket: the same request would be refused
        // again, and retrying would hold every later point behind it.
        this.rejected += points;
        this.lastError = `refused with HTTP ${err.statusCode}${err.body ? ` (${truncate(err.body)})` : ''}`;
        this.log.error(`InfluxDB at ${this.where} ${this.lastError}: ${count(points)} points dropped, they would be refused again`);
        return 'rejected';
      }
      this.lastError = this.describeFailure(err);
      return 'failed';
    }
  }

  private backoff(): void {
    const now = this.now();
    this.outageSince ??= now;
    const delayMs = this.retryBackoff.next();
    this.retryAt = now + delayMs;
    const waiting = this.spool.stats().records;
    this.log.warn(`InfluxDB at ${this.where} ${this.lastError ?? 'failed'}: ${count(waiting)} points kept on disk, retrying in ${duration(delayMs)}`);
  }

  private recovered(): void {
    this.retryAt = 0;
    if (this.outageSince !== undefined) {
      this.log.info(
        `InfluxDB at ${this.where} is accepting writes again after ${duration(this.now() - this.outageSince)}: ` +
          `${count(this.resentPoints)} points sent from disk`,
      );
    }
    this.outageSince = undefined;
    this.resentPoints = 0;
  }

  private describeFailure(err: unknown): string {
    if (err instanceof HttpError) return `answered HTTP ${err.statusCode}${err.body ? ` (${truncate(err.body)})` : ''}`;
    if (err instanceof RequestTimedOutError) return `did not answer within ${duration(this.requestTimeoutMs)}`;
    const code = (err as NodeJS.ErrnoException)?.code;
    return code ? `unreachable (${code})` : `unreachable (${errorText(err)})`;
  }

  /** A warning that could come with every write: logged once a minute, with how many were held back. */
  private noisyWarn(key: string, message: (suppressed: number) => string): void {
    const now = this.now();
    const last = this.noisy.get(key);
    if (last && now - last.at < NOISY_LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.log.warn(message(last?.suppressed ?? 0));
    this.noisy.set(key, { at: now, suppressed: 0 });
  }
}

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

function describePoint(point: ResponsePoint): string {
  return `${point?.serviceId} at ${point?.location}`;
}

function errorText(err: unknown): string {
  return (err as Error)?.message ?? String(err);
}

function truncate(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function more(suppressed: number): string {
  return suppressed > 0 ? ` (${count(suppressed)} more since the last message)` : '';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`;
}

function size(bytes: number): string {
  return bytes < MiB ? `${Math.round(bytes / 1024)} KiB` : `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}
