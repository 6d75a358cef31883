import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError, InfluxDB, RequestTimedOutError, escape, type SendOptions, type Transport } from '@influxdata/influxdb-client';
import { Backoff, type Logger } from '@vantage/runtime';

/**
 * Sends response-time points to InfluxDB (v2 write API) beside the embedded store.
 *
 * The rules it keeps (issue text: "Writes are batched; while InfluxDB is
 * unreachable points are kept (bounded, on disk) and sent when it returns, and
 * the ingest of results never waits on it"):
 *
 * - `write` is synchronous: it formats one line of line protocol and appends it
 *   to an in-memory batch. It never touches the network and never throws.
 * - A flush loop (one pass at a time, unref'd timer) sends full or timed-out
 *   batches with the client's transport. We do not use the client's `WriteApi`:
 *   its retry buffer lives in memory only and it logs to the console; we need
 *   the failed batches on disk and our own logger.
 * - A batch that cannot be sent (network error, timeout, 5xx, 408, 429) goes to
 *   the disk spool: append-only segment files of line protocol in `spoolDir`.
 *   While the spool holds anything, new batches go behind it, so InfluxDB
 *   receives the points in the order they were written. The oldest segment is
 *   retried with exponential backoff (1 s doubling to 60 s) and deleted once
 *   InfluxDB accepts it.
 * - The spool is bounded by `maxSpoolBytes`: when over, the OLDEST segments are
 *   deleted (counted in `dropped`, logged). Recent data is worth more than old
 *   data for a response-time dashboard.
 * - Any other 4xx (bad data, bad token, wrong org or bucket) would be refused
 *   again on every retry, so the batch is logged with the server's answer and
 *   dropped (counted in `rejected`) instead of blocking the spool forever.
 * - The spool survives a restart: the constructor picks up the segments left in
 *   `spoolDir`. One writer per directory.
 *
 * Segments are written without fsync: they survive a crash or restart of the
 * process, not necessarily a power loss of the last few seconds.
 */

/** One poll result with a response time, as it goes to InfluxDB. */
export interface ResponsePoint {
  location: string;
  monitorId: string;
  /** Preferred over the id for the `monitor` tag: dashboards show names. */
  monitorName?: string;
  node: string;
  serviceId: string;
  service: string;
  /** Epoch milliseconds. */
  timestamp: number;
  responseTimeMs?: number;
  status: 'UP' | 'DOWN' | 'UNKNOWN';
}

export interface InfluxWriterOptions {
  /** Base URL of InfluxDB, e.g. `http://influx:8086`. */
  url: string;
  token?: string;
  org: string;
  bucket: string;
  /** Directory of the disk spool; created when missing. */
  spoolDir: string;
  /** Bound of the disk spool (default 256 MiB); the oldest segments go first. */
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
   * Bound of the batches waiting in memory (default 64 MiB of line protocol).
   * Only reached when writes outrun the event loop (the flush loop cannot run
   * during a long synchronous burst); beyond it `write` moves the oldest batch
   * to the disk spool itself rather than grow the heap or lose points.
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
  spoolBytes: number;
  /** Points in memory, not yet sent nor spooled. */
  bufferedPoints: number;
  /** Points lost: deleted to keep the spool bounded, failed to reach the disk, or written after `close`. */
  dropped: number;
  /** Points InfluxDB refused with a 4xx (other than 408/429), or that could not be formatted. */
  rejected: number;
  /** Why the last attempt failed; absent once a request succeeds again. */
  lastError?: string;
}

export const INFLUX_MEASUREMENT = 'vantage_response';

const MiB = 1024 * 1024;
/** `000000000042.lp` is the segment being appended to; `000000000042-5000.lp` a sealed one holding 5000 points. */
const SEGMENT_NAME = /^(\d{12})(?:-(\d+))?\.lp$/;
/** Warnings that could repeat on every batch (spool full, bad points) are logged at most this often. */
const NOISY_LOG_EVERY_MS = 60_000;

interface Batch {
  body: string;
  points: number;
  bytes: number;
}

interface Segment {
  seq: number;
  file: string;
  bytes: number;
  points: number;
  sealed: boolean;
}

type Outcome = 'sent' | 'rejected' | 'failed';

/**
 * One point as a line of InfluxDB line protocol (without the newline), time in
 * milliseconds. Tags with an empty value are left out: line protocol has no
 * empty tag values. Throws on a timestamp that is not a number.
 */
export function toLineProtocol(point: ResponsePoint): string {
  if (!Number.isFinite(point.timestamp)) throw new Error(`timestamp ${String(point.timestamp)} is not a number`);
  let line =
    INFLUX_MEASUREMENT +
    tag('location', point.location) +
    tag('monitor', point.monitorName || point.monitorId) +
    tag('node', point.node) +
    tag('service', point.service) +
    ' ';
  const rt = point.responseTimeMs;
  if (typeof rt === 'number' && Number.isFinite(rt)) line += `response_time_ms=${rt},`;
  line += `status=${escape.quoted(point.status)},up=${point.status === 'UP' ? 1 : 0}i ${Math.trunc(point.timestamp)}`;
  return line;
}

function tag(key: string, value: string | undefined): string {
  if (!value) return '';
  let escaped = escape.tag(value);
  // A trailing backslash would escape the comma or space after the value and
  // break the whole line; doubled, it reads as a literal backslash.
  if (escaped.endsWith('\\')) escaped += '\\';
  return `,${key}=${escaped}`;
}

export class InfluxWriter {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly transport: Transport;
  private readonly writePath: string;
  private readonly sendOptions: SendOptions;
  /** The URL without credentials, for log lines. */
  private readonly where: string;
  private readonly spoolDir: string;
  private readonly maxSpoolBytes: number;
  private readonly batchSize: number;
  private readonly retryBackoff: Backoff;
  private readonly maxBufferedBytes: number;
  private readonly requestTimeoutMs: number;

  /** Lines of the batch being filled by `write`. */
  private pending: string[] = [];
  /** Full batches waiting for the flush loop, oldest first. */
  private queue: Batch[] = [];
  private queuedChars = 0;
  private queuedPoints = 0;

  /** Spool segments, oldest first; the last one may still be appended to. */
  private segments: Segment[] = [];
  private nextSeq = 1;
  private spoolBytes = 0;
  private spooledPoints = 0;
  /** The segment being sent: never deleted to keep the spool bounded, and never appended to. */
  private inFlight: Segment | undefined;

  private written = 0;
  private dropped = 0;
  private rejected = 0;
  private lastError: string | undefined;

  private retryAt = 0;
  private outageSince: number | undefined;
  /** Spooled points sent since the last outage began, for the recovery message. */
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
    this.maxSpoolBytes = options.maxSpoolBytes ?? 256 * MiB;
    this.batchSize = Math.max(1, options.batchSize ?? 5000);
    const retryMinMs = options.retryMinMs ?? 1000;
    this.retryBackoff = new Backoff({ initialMs: retryMinMs, maxMs: Math.max(retryMinMs, options.retryMaxMs ?? 60_000), jitter: 0 });
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * MiB;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;

    const url = options.url.replace(/\/+$/, '');
    this.where = withoutCredentials(url);
    this.transport = new InfluxDB({ url, ...(options.token ? { token: options.token } : {}), timeout: this.requestTimeoutMs }).transport;
    this.writePath = `/api/v2/write?org=${encodeURIComponent(options.org)}&bucket=${encodeURIComponent(options.bucket)}&precision=ms`;
    // Line protocol compresses about tenfold; the client gzips bodies above the threshold.
    this.sendOptions = { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, gzipThreshold: 1024 };

    // Synchronous on purpose: the directory listing is small (sealed segments
    // carry their point count in the name), and knowing the spool before the
    // first write keeps the order of old and new points.
    this.loadSpool();
    this.timer = setInterval(() => this.tick(), options.flushIntervalMs ?? 1000).unref();
  }

  /**
   * Queues one point. Synchronous, never throws, never waits for InfluxDB: the
   * flush loop sends it later. A point that cannot be formatted is counted in
   * `rejected` and logged.
   */
  write(point: ResponsePoint): void {
    try {
      if (this.closed) {
        this.dropped++;
        this.noisyWarn('closed', (n) => `write after close: point of ${point.serviceId} dropped${more(n)}`);
        return;
      }
      this.pending.push(toLineProtocol(point));
      if (this.pending.length >= this.batchSize) {
        this.sealPending();
        this.kick();
      }
    } catch (err) {
      this.rejected++;
      this.noisyWarn('invalid', (n) => `point of ${describePoint(point)} not written to InfluxDB: ${errorText(err)}${more(n)}`);
    }
  }

  /**
   * Sends what it can now, after any pass already running: the batch being
   * filled, the waiting batches and the spool, ignoring the current backoff
   * (one attempt). What cannot be sent is on disk when it resolves.
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
    return {
      written: this.written,
      spooledPoints: this.spooledPoints,
      spoolBytes: this.spoolBytes,
      bufferedPoints: this.pending.length + this.queuedPoints,
      dropped: this.dropped,
      rejected: this.rejected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
    // A pass stops at the work it saw when it began; whatever is still in
    // memory now goes to disk rather than vanish with the process.
    this.sealPending();
    this.spoolQueued();
    if (this.spooledPoints > 0) {
      this.log.info(`closed: ${count(this.spooledPoints)} points kept on disk in ${this.spoolDir} for the next start`);
    }
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
   * One pass of the flush loop. Bounded by the work present when it starts, so
   * that `flush` ends under a steady stream of writes; the next tick takes the rest.
   */
  private async pass(force: boolean): Promise<void> {
    this.sealPending();
    let budget = this.segments.length + this.queue.length;
    while (budget-- > 0) {
      if (this.segments.length > 0) {
        // Behind the spool, to keep the order.
        this.spoolQueued();
        if (!force && this.now() < this.retryAt) return;
        force = false;
        const segment = this.segments[0]!;
        const outcome = await this.sendSegment(segment);
        if (outcome === 'failed') {
          this.backoff();
          return;
        }
        this.retryBackoff.reset();
        if (this.segments.length === 0) this.recovered();
        continue;
      }
      const batch = this.queue.shift();
      if (!batch) return;
      this.queuedChars -= batch.body.length;
      this.queuedPoints -= batch.points;
      if ((await this.send(batch.body, batch.points)) === 'failed') {
        // Written while the request was out, batches may have reached the
        // spool before this one: harmless, every line carries its timestamp.
        this.appendToSpool(batch);
        this.spoolQueued();
        this.backoff();
        return;
      }
      this.recovered();
    }
  }

  private async sendSegment(segment: Segment): Promise<Outcome> {
    if (!segment.sealed) this.seal(segment);
    this.inFlight = segment;
    try {
      let body: string;
      try {
        body = await readFile(join(this.spoolDir, segment.file), 'utf8');
      } catch (err) {
        // Removed or unreadable behind our back: nothing we can send.
        this.log.error(`spool segment ${segment.file} unreadable, ${count(segment.points)} points lost: ${errorText(err)}`);
        this.dropped += segment.points;
        this.removeSegment(segment);
        return 'rejected';
      }
      const outcome = body.length === 0 ? 'sent' : await this.send(body, segment.points);
      if (outcome === 'sent') this.resentPoints += segment.points;
      if (outcome !== 'failed') this.removeSegment(segment);
      return outcome;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async send(body: string, points: number): Promise<Outcome> {
    try {
      await this.transport.request(this.writePath, body, this.sendOptions);
      this.written += points;
      this.lastError = undefined;
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
    this.log.warn(
      `InfluxDB at ${this.where} ${this.lastError ?? 'failed'}: ${count(this.spooledPoints)} points kept on disk, retrying in ${duration(delayMs)}`,
    );
  }

  private recovered(): void {
    this.retryBackoff.reset();
    this.retryAt = 0;
    if (this.outageSince !== undefined) {
      this.log.info(
        `InfluxDB at ${this.where} is accepting writes again after ${duration(this.now() - this.outageSince)}: ` +
          `${count(this.resentPoints)} points sent from disk`,
      );
    } else if (this.resentPoints > 0) {
      this.log.info(`${count(this.resentPoints)} points sent from disk to InfluxDB at ${this.where}`);
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

  // ---- memory batches ----

  private sealPending(): void {
    if (this.pending.length === 0) return;
    const body = this.pending.join('\n') + '\n';
    const batch: Batch = { body, points: this.pending.length, bytes: Buffer.byteLength(body) };
    this.pending = [];
    this.queue.push(batch);
    this.queuedChars += body.length;
    this.queuedPoints += batch.points;
    // Only during a burst the event loop could not interleave with: spill to
    // disk (a local append, not InfluxDB) rather than grow without bound.
    while (this.queuedChars > this.maxBufferedBytes && this.queue.length > 0) {
      const oldest = this.queue.shift()!;
      this.queuedChars -= oldest.body.length;
      this.queuedPoints -= oldest.points;
      this.appendToSpool(oldest);
    }
  }

  private spoolQueued(): void {
    for (const batch of this.queue) this.appendToSpool(batch);
    this.queue = [];
    this.queuedChars = 0;
    this.queuedPoints = 0;
  }

  // ---- the disk spool ----

  /**
   * Appends are synchronous: each is one local write of at most a batch, and
   * a single writer keeps the segment contents in order without locking.
   */
  private appendToSpool(batch: Batch): void {
    try {
      let tail = this.segments.at(-1);
      if (tail && !tail.sealed && tail !== this.inFlight && tail.points + batch.points <= this.batchSize) {
        appendFileSync(join(this.spoolDir, tail.file), batch.body);
      } else {
        if (tail && !tail.sealed) this.seal(tail);
        tail = { seq: this.nextSeq, file: segmentFile(this.nextSeq), bytes: 0, points: 0, sealed: false };
        appendFileSync(join(this.spoolDir, tail.file), batch.body);
        this.nextSeq++;
        this.segments.push(tail);
      }
      tail.bytes += batch.bytes;
      tail.points += batch.points;
      this.spoolBytes += batch.bytes;
      this.spooledPoints += batch.points;
      this.log.debug(`${count(batch.points)} points spooled to ${tail.file} (spool: ${count(this.spooledPoints)} points, ${size(this.spoolBytes)})`);
    } catch (err) {
      this.dropped += batch.points;
      this.log.error(`cannot write the InfluxDB spool in ${this.spoolDir}: ${errorText(err)}; ${count(batch.points)} points lost`);
    }
    this.enforceBound();
  }

  /** Deletes the oldest segments (except the one being sent) while the spool is over its bound. */
  private enforceBound(): void {
    let droppedNow = 0;
    while (this.spoolBytes > this.maxSpoolBytes) {
      const victim = this.segments.find((s) => s !== this.inFlight);
      if (!victim) break;
      droppedNow += victim.points;
      this.dropped += victim.points;
      this.removeSegment(victim);
    }
    if (droppedNow > 0) {
      this.noisyWarn(
        'spool-full',
        (n) =>
          `InfluxDB spool over ${size(this.maxSpoolBytes)}: dropped the oldest ${count(droppedNow)} points` +
          `${n > 0 ? ` (and ${n} more drops since the last message)` : ''}, ${count(this.dropped)} dropped in all`,
      );
    }
  }

  /** Renames a segment to carry its point count, so that a restart need not read it. */
  private seal(segment: Segment): void {
    segment.sealed = true;
    const sealed = segmentFile(segment.seq, segment.points);
    try {
      renameSync(join(this.spoolDir, segment.file), join(this.spoolDir, sealed));
      segment.file = sealed;
    } catch (err) {
      // Still sendable under its old name; a restart will count its lines.
      this.log.warn(`cannot rename spool segment ${segment.file}: ${errorText(err)}`);
    }
  }

  private removeSegment(segment: Segment): void {
    const at = this.segments.indexOf(segment);
    if (at < 0) return;
    this.segments.splice(at, 1);
    this.spoolBytes -= segment.bytes;
    this.spooledPoints -= segment.points;
    try {
      unlinkSync(join(this.spoolDir, segment.file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot delete spool segment ${segment.file}: ${errorText(err)}`);
    }
  }

  /** Picks up the segments an earlier run left behind. */
  private loadSpool(): void {
    mkdirSync(this.spoolDir, { recursive: true });
    const found: Segment[] = [];
    for (const name of readdirSync(this.spoolDir)) {
      const match = SEGMENT_NAME.exec(name);
      if (!match) continue;
      const path = join(this.spoolDir, name);
      const seq = Number(match[1]);
      let bytes = statSync(path).size;
      let points = match[2] === undefined ? undefined : Number(match[2]);
      if (points === undefined) {
        // The segment that was being appended to: count its lines, and cut a
        // line torn by a crash, which InfluxDB would refuse.
        const data = readFileSync(path);
        const end = data.lastIndexOf(10) + 1;
        if (end < data.length) {
          truncateSync(path, end);
          this.log.warn(`spool segment ${name}: cut a torn last line (${data.length - end} bytes)`);
        }
        bytes = end;
        points = countNewlines(data, end);
      }
      if (bytes === 0) {
        unlinkSync(path);
        continue;
      }
      found.push({ seq, file: name, bytes, points, sealed: true });
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    found.sort((a, b) => a.seq - b.seq);
    for (const segment of found) {
      if (segment.file !== segmentFile(segment.seq, segment.points)) this.seal(segment);
      this.segments.push(segment);
      this.spoolBytes += segment.bytes;
      this.spooledPoints += segment.points;
    }
    if (found.length > 0) {
      this.log.info(
        `picked up ${count(this.spooledPoints)} points (${size(this.spoolBytes)}) left for InfluxDB at ${this.where} in ${this.spoolDir}`,
      );
      this.enforceBound();
    }
  }

  /** A warning that could come with every batch: logged once a minute, with how many were held back. */
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

function segmentFile(seq: number, points?: number): string {
  const base = String(seq).padStart(12, '0');
  return points === undefined ? `${base}.lp` : `${base}-${points}.lp`;
}

function countNewlines(data: Buffer, end: number): number {
  let n = 0;
  for (let at = data.indexOf(10); at >= 0 && at < end; at = data.indexOf(10, at + 1)) n++;
  return n;
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
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}
