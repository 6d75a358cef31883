/**
 * A durable, bounded queue of text records on disk: the poller's result spool
 * and the InfluxDB writer's outbox. Records are numbered (`seq`) by the spool,
 * kept in order, read back in batches, and removed once acknowledged.
 *
 * On disk it is a folder of segment files, one record a line:
 * `SEQ<TAB>TIMESTAMP_MS<TAB>TEXT\n`. The segment being appended to is named
 * after its first seq (`0000000000000001.seg`); a full one is sealed by renaming
 * it to carry its range and newest timestamp (`…01-0000000000004000-1767225600000.seg`),
 * so that opening a large spool reads only the open segment.
 *
 * Guarantees:
 * - Group commit: `append` only buffers; the buffer is written in one write
 *   (and `fdatasync`ed when `fsync` is on) every `commitIntervalMs` or as soon
 *   as `commitRecords` are buffered, whichever comes first, and by `commit()`.
 *   A process crash loses nothing committed; with `fsync` a power cut loses
 *   nothing committed either. Only committed records are ever read, so a
 *   record lost in the last window was never seen by anyone.
 * - Seqs are never handed out twice: the next seq after a restart follows the
 *   last record on disk (the open segment's name holds it even when empty).
 * - Bounded by bytes on disk (`maxBytes`, measured, not estimated) and by age
 *   (`maxAgeMs`, from each record's timestamp): the oldest records go first,
 *   and every record dropped unread is counted in `dropped`.
 * - Memory is bounded whatever the backlog: a few numbers per segment and the
 *   uncommitted buffer; reads go to the disk.
 * - A line torn by a crash is cut when the spool opens.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from './logger.ts';

export interface DiskSpoolOptions {
  dir: string;
  /** Bound of the records on disk, in bytes; the oldest segments are dropped beyond it. */
  maxBytes: number;
  /** Records whose timestamp is older than this are dropped unread. Default: no age bound. */
  maxAgeMs?: number;
  /** A segment is sealed and a new one started once it holds this many bytes. Default 1 MiB (at most maxBytes / 4). */
  segmentBytes?: number;
  /** Longest time a record waits in memory before its commit. Default 1000 ms. */
  commitIntervalMs?: number;
  /** Commit as soon as this many records wait. Default 1000. */
  commitRecords?: number;
  /** `fdatasync` each commit, so that committed records survive a power cut. Default true. */
  fsync?: boolean;
  /**
   * Bound of the records waiting in memory for their commit (default 16 MiB).
   * Reached only when appends outrun the event loop (a long synchronous burst,
   * during which no commit can run); beyond it the oldest waiting records are
   * dropped and counted rather than the heap growing without end.
   */
  maxBufferBytes?: number;
  log: Logger;
  now?: () => number;
}

/** A committed record, as read back. */
export interface SpoolRecord {
  seq: number;
  timestampMs: number;
  text: string;
}

export interface DiskSpoolStats {
  /** Records waiting: committed and not acknowledged, plus those not yet committed. */
  records: number;
  /** Of those, the ones not yet committed (in memory). */
  uncommitted: number;
  /** Bytes on disk of the unacknowledged segments, plus the uncommitted buffer. */
  bytes: number;
  /** Records dropped unread because of the bounds, since the spool was opened. */
  dropped: number;
  /** The seq the next record will get. */
  nextSeq: number;
  /** The highest seq acknowledged. */
  ackedSeq: number;
  /** The timestamp of the oldest record waiting, if any. */
  oldestTimestampMs?: number;
}

interface Segment {
  firstSeq: number;
  /** The last seq written to it; firstSeq − 1 while empty. */
  lastSeq: number;
  /** Records in it (seqs may have gaps where records were lost before reaching the disk). */
  records: number;
  bytes: number;
  /** Timestamps of its oldest and newest records (0 when unknown or empty). */
  oldestMs: number;
  newestMs: number;
  file: string;
  sealed: boolean;
}

const OPEN_NAME = /^(\d{16})\.seg$/;
const SEALED_NAME = /^(\d{16})-(\d{16})-(\d+)-(\d+)\.seg$/;
const ACKED_FILE = 'acked';
const MiB = 1024 * 1024;
/** How much a read takes from a segment file at a time. */
const READ_CHUNK_BYTES = 256 * 1024;

const pad = (n: number) => String(n).padStart(16, '0');

export class DiskSpool {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly segmentBytes: number;
  private readonly commitIntervalMs: number;
  private readonly commitRecords: number;
  private readonly fsync: boolean;
  private readonly maxBufferBytes: number;
  private maxBytes: number;
  private maxAgeMs: number | undefined;

  /** Oldest first; the last one is the open segment, unless none was needed yet. */
  private readonly segments: Segment[] = [];
  private handle: FileHandle | undefined;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private bufferOldestMs = 0;
  private nextSeq = 1;
  /** The newest seq on disk: records above it are buffered or being written. */
  private writtenSeq = 0;
  private ackedSeq = 0;
  private ackedPersisted = 0;
  private droppedCount = 0;
  private diskBytes = 0;
  /** Where the last read stopped, so the next one need not scan from the segment's start. */
  private cursor: { seq: number; file: string; offset: number } | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  /** The commit being written; commits never overlap, so records reach the disk in order. */
  private writing: Promise<void> | undefined;
  private closed = false;
  private commitQueued = false;
  /** Records taken from the buffer by the commit being written. */
  private inFlightRecords = 0;
  private readonly commitListeners: (() => void)[] = [];
  private lastDropWarningMs = -Infinity;
  private dropWarningsHeld = 0;

  private constructor(options: DiskSpoolOptions) {
    this.dir = options.dir;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.maxBytes = options.maxBytes;
    this.maxAgeMs = options.maxAgeMs;
    this.segmentBytes = Math.max(4096, Math.min(options.segmentBytes ?? MiB, Math.floor(options.maxBytes / 4)));
    this.commitIntervalMs = options.commitIntervalMs ?? 1000;
    this.commitRecords = Math.max(1, options.commitRecords ?? 1000);
    this.fsync = options.fsync ?? true;
    this.maxBufferBytes = options.maxBufferBytes ?? 16 * MiB;
  }

  /**
   * Opens the spool in `dir` (created when missing), picking up what an earlier
   * run left. One process per folder.
   */
  static open(options: DiskSpoolOptions): DiskSpool {
    const spool = new DiskSpool(options);
    spool.load();
    return spool;
  }

  /** Changes the bounds (settings from the backend); applied at once. */
  setLimits(limits: { maxBytes: number; maxAgeMs?: number }): void {
    this.maxBytes = limits.maxBytes;
    this.maxAgeMs = limits.maxAgeMs;
    this.enforceBounds();
  }

  /**
   * Adds a record and returns its seq. It is buffered, and durable after the
   * next commit (at most `commitIntervalMs` away). `text` must be one line.
   */
  append(text: string, timestampMs: number = this.now()): number {
    if (this.closed) throw new Error(`the spool in ${this.dir} is closed`);
    if (text.includes('\n')) throw new Error('a spool record must be one line of text');
    const seq = this.nextSeq++;
    const line = `${seq}\t${Math.trunc(timestampMs)}\t${text}\n`;
    if (this.buffer.length === 0) this.bufferOldestMs = timestampMs;
    this.buffer.push(line);
    this.bufferBytes += Buffer.byteLength(line);
    if (this.bufferBytes > this.maxBufferBytes) this.shedBuffer();
    if (this.buffer.length >= this.commitRecords && !this.commitQueued) {
      // Once: during a synchronous burst the commit cannot run until the burst ends.
      this.commitQueued = true;
      void this.commit();
    }
    else this.commitTimer ??= setTimeout(() => void this.commit(), this.commitIntervalMs).unref();
    return seq;
  }

  /** Writes what is buffered now; resolves once it (and everything before it) is durable. Never rejects. */
  async commit(): Promise<void> {
    clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    // One commit at a time, in order; one that waits takes every record buffered by the time it runs.
    const previous = this.writing;
    const mine: Promise<void> = (async () => {
      await previous;
      await this.writeBuffer();
      this.persistAcked();
    })();
    this.writing = mine;
    await mine;
    if (this.writing === mine) this.writing = undefined;
  }

  /** The seq of the newest durable record (0 when none ever was). */
  get committedSeq(): number {
    return this.writtenSeq;
  }

  /**
   * Up to `maxRecords` committed records after the acknowledged ones, oldest
   * first, about `maxBytes` of text at most. Records at the head that are past
   * the age bound are dropped (and counted) instead of returned.
   */
  async read(maxRecords: number, maxBytes = 16 * MiB): Promise<SpoolRecord[]> {
    this.enforceBounds();
    const out: SpoolRecord[] = [];
    let want = this.ackedSeq + 1;
    let bytes = 0;
    const oldestAllowed = this.maxAgeMs === undefined ? -Infinity : this.now() - this.maxAgeMs;
    const full = () => out.length >= maxRecords || bytes >= maxBytes;
    for (const segment of [...this.segments]) {
      if (full() || want > this.writtenSeq) break;
      if (segment.lastSeq < want) continue;
      let offset = this.cursor && this.cursor.file === segment.file && this.cursor.seq === want ? this.cursor.offset : 0;
      let file: FileHandle;
      try {
        file = await open(join(this.dir, segment.file), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // dropped by a bound meanwhile
        throw err;
      }
      try {
        const chunk = Buffer.alloc(READ_CHUNK_BYTES);
        let carry = Buffer.alloc(0);
        while (!full()) {
          const { bytesRead } = await file.read(chunk, 0, chunk.length, offset);
          if (bytesRead === 0) break;
          const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
          const base = offset - carry.length;
          let start = 0;
          for (let end = data.indexOf(10); end >= 0 && !full(); end = data.indexOf(10, start)) {
            const record = parseLine(data.toString('utf8', start, end));
            start = end + 1;
            if (!record || record.seq < want) continue;
            if (record.seq > this.writtenSeq) break;
            want = record.seq + 1;
            this.cursor = { seq: want, file: segment.file, offset: base + start };
            if (out.length === 0 && record.timestampMs < oldestAllowed) {
              this.dropHead(record.seq);
              continue;
            }
            out.push(record);
            bytes += record.text.length;
          }
          carry = Buffer.from(data.subarray(start));
          offset += bytesRead;
          if (want > this.writtenSeq) break;
        }
      } finally {
        await file.close();
      }
    }
    return out;
  }

  /**
   * The receiver already holds records up to `seq` from an earlier life of this
   * spool (its folder was lost or restored from a backup): number new records
   * after it, so that none is mistaken for one it has.
   */
  skipTo(seq: number): void {
    if (seq < this.nextSeq) return;
    const waiting = this.buffer.length + this.inFlightRecords;
    if (waiting > 0) this.log.warn(`spool in ${this.dir}: ${waiting} records not yet written carry numbers the receiver already has; they will not be read`);
    this.nextSeq = seq + 1;
    if (waiting === 0) this.writtenSeq = Math.max(this.writtenSeq, seq);
    // Recorded as acknowledged, which is also what carries the numbering across a restart.
    this.ackedSeq = Math.max(this.ackedSeq, seq);
    this.removeAcknowledgedSegments();
    this.persistAcked();
  }

  /** Calls `listener` after each commit that wrote records (a reader can look for more). */
  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Every record up to `seq` is delivered: whole segments behind it are deleted. */
  acknowledge(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = Math.min(seq, this.writtenSeq);
    this.removeAcknowledgedSegments();
    if (this.ackedSeq === this.writtenSeq && this.buffer.length === 0) this.restartOpenSegment();
    // The position is recorded with the next commit, which the timer guarantees.
    this.commitTimer ??= setTimeout(() => void this.commit(), this.commitIntervalMs).unref();
  }

  /** Drops every record waiting (the identity they belong to is gone); the numbering goes on. */
  async discardAll(): Promise<void> {
    await this.commit();
    this.ackedSeq = this.writtenSeq;
    this.removeAcknowledgedSegments();
    this.persistAcked();
  }

  stats(): DiskSpoolStats {
    let committedWaiting = 0;
    for (const segment of this.segments) {
      if (segment.lastSeq <= this.ackedSeq) continue;
      // Partly acknowledged: seqs tell how many are left, unless gaps make that more than it holds.
      committedWaiting += segment.firstSeq > this.ackedSeq ? segment.records : Math.min(segment.records, segment.lastSeq - this.ackedSeq);
    }
    const oldest = this.segments.find((s) => s.lastSeq > this.ackedSeq && s.oldestMs > 0);
    const oldestTimestampMs = oldest?.oldestMs ?? (this.buffer.length ? this.bufferOldestMs : undefined);
    return {
      records: committedWaiting + this.buffer.length + this.inFlightRecords,
      uncommitted: this.buffer.length + this.inFlightRecords,
      bytes: this.diskBytes + this.bufferBytes,
      dropped: this.droppedCount,
      nextSeq: this.nextSeq,
      ackedSeq: this.ackedSeq,
      ...(oldestTimestampMs ? { oldestTimestampMs } : {}),
    };
  }

  /** Commits what is buffered and closes the open segment. Appends after this throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.commit();
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }

  // ---- writing ----

  private async writeBuffer(): Promise<void> {
    if (this.buffer.length === 0 || this.closed) return;
    const lines = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    this.commitQueued = false;
    this.inFlightRecords = lines.length;
    let at = 0;
    try {
      while (at < lines.length) {
        const segment = await this.openSegment();
        // Fill the open segment up to its size, so that the bounds can drop old records a segment at a time.
        const room = this.segmentBytes - segment.bytes;
        let bytes = 0;
        let end = at;
        while (end < lines.length && (end === at || bytes + Buffer.byteLength(lines[end]!) <= room)) bytes += Buffer.byteLength(lines[end++]!);
        await this.handle!.write(lines.slice(at, end).join(''));
        if (this.fsync) await this.handle!.datasync();
        const first = parseLine(lines[at]!.slice(0, -1))!;
        const last = parseLine(lines[end - 1]!.slice(0, -1))!;
        if (segment.lastSeq < segment.firstSeq) segment.oldestMs = first.timestampMs;
        segment.lastSeq = last.seq;
        segment.records += end - at;
        segment.bytes += bytes;
        segment.newestMs = Math.max(segment.newestMs, last.timestampMs);
        this.diskBytes += bytes;
        this.writtenSeq = last.seq;
        this.inFlightRecords -= end - at;
        at = end;
        if (segment.bytes >= this.segmentBytes) await this.seal(segment);
      }
    } catch (err) {
      // The disk is full or gone: these records are lost, and counted; the numbering goes on.
      const lost = lines.length - at;
      this.inFlightRecords = 0;
      this.droppedCount += lost;
      this.writtenSeq += lost;
      this.log.error(`cannot write the spool in ${this.dir}: ${(err as Error).message}; ${lost} records lost`);
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
    }
    this.enforceBounds();
    for (const listener of this.commitListeners) listener();
  }

  /** The open segment, created when there is none. */
  private async openSegment(): Promise<Segment> {
    let tail = this.segments.at(-1);
    if (!tail || tail.sealed) {
      const firstSeq = this.writtenSeq + 1;
      tail = { firstSeq, lastSeq: firstSeq - 1, records: 0, bytes: 0, oldestMs: 0, newestMs: 0, file: `${pad(firstSeq)}.seg`, sealed: false };
      this.segments.push(tail);
    }
    this.handle ??= await open(join(this.dir, tail.file), 'a', 0o600);
    return tail;
  }

  private async seal(segment: Segment): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    this.renameSealed(segment);
    // The next open segment is created empty at once: its name carries the numbering across a restart.
    const next: Segment = { firstSeq: segment.lastSeq + 1, lastSeq: segment.lastSeq, records: 0, bytes: 0, oldestMs: 0, newestMs: 0, file: `${pad(segment.lastSeq + 1)}.seg`, sealed: false };
    this.segments.push(next);
    this.handle = await open(join(this.dir, next.file), 'a', 0o600);
  }

  private renameSealed(segment: Segment): void {
    segment.sealed = true;
    const sealedName = `${pad(segment.firstSeq)}-${pad(segment.lastSeq)}-${segment.records}-${segment.newestMs}.seg`;
    renameSync(join(this.dir, segment.file), join(this.dir, sealedName));
    if (this.cursor?.file === segment.file) this.cursor.file = sealedName;
    segment.file = sealedName;
  }

  /**
   * Everything is acknowledged: the open segment's records are worth nothing.
   * It is replaced by an empty one at once in the books, and on disk before
   * the next commit writes.
   */
  private restartOpenSegment(): void {
    const tail = this.segments.at(-1);
    if (!tail || tail.sealed || tail.bytes === 0 || this.writing) return;
    const oldHandle = this.handle;
    this.handle = undefined;
    this.removeSegment(tail, false);
    const next: Segment = { firstSeq: this.writtenSeq + 1, lastSeq: this.writtenSeq, records: 0, bytes: 0, oldestMs: 0, newestMs: 0, file: `${pad(this.writtenSeq + 1)}.seg`, sealed: false };
    this.segments.push(next);
    const work: Promise<void> = (async () => {
      await oldHandle?.close();
      await unlink(join(this.dir, tail.file)).catch(() => undefined);
      this.handle = await open(join(this.dir, next.file), 'a', 0o600);
    })().catch((err: unknown) => this.log.warn(`cannot start a fresh spool segment in ${this.dir}: ${(err as Error).message}`));
    // Commits wait for it: it changes the open segment.
    this.writing = work;
    void work.finally(() => {
      if (this.writing === work) this.writing = undefined;
    });
  }

  private persistAcked(): void {
    if (this.ackedSeq === this.ackedPersisted) return;
    const tmp = join(this.dir, `${ACKED_FILE}.tmp`);
    try {
      writeFileSync(tmp, String(this.ackedSeq));
      renameSync(tmp, join(this.dir, ACKED_FILE));
      this.ackedPersisted = this.ackedSeq;
    } catch (err) {
      // Harmless: after a restart the records since the last mark are sent again, and the receiver knows them.
      this.log.warn(`cannot record the acknowledged position in ${this.dir}: ${(err as Error).message}`);
    }
  }

  // ---- bounds ----

  private enforceBounds(): void {
    const oldestAllowed = this.maxAgeMs === undefined ? -Infinity : this.now() - this.maxAgeMs;
    let droppedNow = 0;
    // Never the open segment: sealing keeps it below the byte bound, and its name carries the numbering.
    while (this.segments.length > 0 && this.segments[0]!.sealed) {
      const oldest = this.segments[0]!;
      const overBytes = this.diskBytes > this.maxBytes;
      const tooOld = oldest.newestMs < oldestAllowed;
      if (!overBytes && !tooOld) break;
      droppedNow += oldest.firstSeq > this.ackedSeq ? oldest.records : Math.min(oldest.records, Math.max(0, oldest.lastSeq - this.ackedSeq));
      this.ackedSeq = Math.max(this.ackedSeq, oldest.lastSeq);
      this.removeSegment(oldest);
    }
    if (droppedNow > 0) {
      this.droppedCount += droppedNow;
      const bounds = `${this.maxBytes} bytes${this.maxAgeMs === undefined ? '' : ` or ${Math.round(this.maxAgeMs / 1000)} s`}`;
      this.warnDropped(`${droppedNow} records (beyond its bounds: ${bounds})`);
    }
  }

  /** Drops the oldest uncommitted records until the buffer is back under half its bound. */
  private shedBuffer(): void {
    let shed = 0;
    while (this.buffer.length > 1 && this.bufferBytes > this.maxBufferBytes / 2) {
      this.bufferBytes -= Buffer.byteLength(this.buffer[shed]!);
      shed++;
      if (shed === this.buffer.length - 1) break;
    }
    this.buffer.splice(0, shed);
    this.droppedCount += shed;
    this.warnDropped(`${shed} records waiting in memory (over ${this.maxBufferBytes} bytes: appends outran the disk)`);
  }

  /** Drops are worth one line a minute, not one per commit: the count says the rest. */
  private warnDropped(what: string): void {
    const now = this.now();
    if (now - this.lastDropWarningMs < 60_000) {
      this.dropWarningsHeld++;
      return;
    }
    const held = this.dropWarningsHeld ? ` (${this.dropWarningsHeld} more drops since the last warning)` : '';
    this.log.warn(`spool in ${this.dir}: dropped the oldest ${what}${held}; ${this.droppedCount} dropped since start`);
    this.lastDropWarningMs = now;
    this.dropWarningsHeld = 0;
  }

  /** The oldest record waiting is past its age: counted as dropped, and passed over. */
  private dropHead(seq: number): void {
    this.droppedCount += seq - this.ackedSeq;
    this.ackedSeq = seq;
  }

  private removeAcknowledgedSegments(): void {
    while (this.segments.length > 0 && this.segments[0]!.sealed && this.segments[0]!.lastSeq <= this.ackedSeq) {
      this.removeSegment(this.segments[0]!);
    }
  }

  private removeSegment(segment: Segment, unlinkFile = true): void {
    const at = this.segments.indexOf(segment);
    if (at < 0) return;
    this.segments.splice(at, 1);
    this.diskBytes -= segment.bytes;
    if (this.cursor?.file === segment.file) this.cursor = undefined;
    if (!unlinkFile) return;
    try {
      unlinkSync(join(this.dir, segment.file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot delete spool segment ${segment.file}: ${(err as Error).message}`);
    }
  }

  // ---- opening ----

  private load(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const found: Segment[] = [];
    for (const name of readdirSync(this.dir)) {
      const sealed = SEALED_NAME.exec(name);
      if (sealed) {
        const size = statSync(join(this.dir, name)).size;
        found.push({
          firstSeq: Number(sealed[1]),
          lastSeq: Number(sealed[2]),
          records: Number(sealed[3]),
          bytes: size,
          oldestMs: 0,
          newestMs: Number(sealed[4]),
          file: name,
          sealed: true,
        });
        continue;
      }
      const openName = OPEN_NAME.exec(name);
      if (openName) found.push(this.recoverOpenSegment(name, Number(openName[1])));
    }
    found.sort((a, b) => a.firstSeq - b.firstSeq);
    try {
      const acked = Number(readFileSync(join(this.dir, ACKED_FILE), 'utf8').trim());
      if (Number.isSafeInteger(acked) && acked >= 0) this.ackedSeq = this.ackedPersisted = acked;
    } catch {
      // none yet: everything on disk is waiting
    }
    for (const [i, segment] of found.entries()) {
      // An open segment before another one: a crash came between sealing it and starting the next.
      if (!segment.sealed && i < found.length - 1) this.renameSealed(segment);
      this.segments.push(segment);
      this.diskBytes += segment.bytes;
      this.writtenSeq = Math.max(this.writtenSeq, segment.lastSeq);
    }
    this.writtenSeq = Math.max(this.writtenSeq, this.ackedSeq);
    this.nextSeq = this.writtenSeq + 1;
    this.removeAcknowledgedSegments();
    const waiting = this.stats().records;
    if (waiting > 0) this.log.info(`spool in ${this.dir}: ${waiting} records waiting from an earlier run (seq ${this.ackedSeq + 1} to ${this.writtenSeq})`);
    this.enforceBounds();
  }

  /** Reads the segment that was open when the last run ended: its range, and a torn last line cut off. */
  private recoverOpenSegment(name: string, firstSeq: number): Segment {
    const path = join(this.dir, name);
    const data = readFileSync(path);
    const end = data.lastIndexOf(10) + 1;
    if (end < data.length) {
      truncateSync(path, end);
      this.log.warn(`spool segment ${name}: cut a torn last line (${data.length - end} bytes) left by a crash`);
    }
    const segment: Segment = { firstSeq, lastSeq: firstSeq - 1, records: 0, bytes: end, oldestMs: 0, newestMs: 0, file: name, sealed: false };
    for (const line of data.toString('utf8', 0, end).split('\n')) {
      const record = parseLine(line);
      if (!record) continue;
      if (segment.lastSeq < segment.firstSeq) segment.oldestMs = record.timestampMs;
      segment.lastSeq = Math.max(segment.lastSeq, record.seq);
      segment.records++;
      segment.newestMs = Math.max(segment.newestMs, record.timestampMs);
    }
    return segment;
  }
}

function parseLine(line: string): SpoolRecord | undefined {
  const tab1 = line.indexOf('\t');
  const tab2 = tab1 < 0 ? -1 : line.indexOf('\t', tab1 + 1);
  if (tab2 < 0) return undefined;
  const seq = Number(line.slice(0, tab1));
  const timestampMs = Number(line.slice(tab1 + 1, tab2));
  if (!Number.isSafeInteger(seq) || !Number.isFinite(timestampMs)) return undefined;
  return { seq, timestampMs, text: line.slice(tab2 + 1) };
}
