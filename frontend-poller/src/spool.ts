/**
 * The poller's results on their way to the backend, on disk (the runtime's
 * DiskSpool in `STATE_DIR/spool`): a result counts as done once it is
 * appended; it is durable at the next group commit (at most a second, or
 * sooner under load) and survives kill -9 and, with fsync, a power cut. Its
 * `seq` is the spool's own numbering, persisted with the records, so no
 * restart can hand out a number the backend has seen. Bounded by bytes on
 * disk and by age; the oldest results go first and every drop is counted.
 */
import { MAX_REASON_LENGTH, toStorableText, type PollResultRecord } from '@vantage/common';
import { DiskSpool, type DiskSpoolStats, type Logger } from '@vantage/runtime';

export interface ResultSpoolOptions {
  dir: string;
  maxAgeMs: number;
  maxBytes: number;
  /** fdatasync each group commit (default true). */
  fsync?: boolean;
  /** Longest wait before a result is on disk (default 1000 ms). */
  commitIntervalMs?: number;
  log: Logger;
  now?: () => number;
}

/** What a check found, as a monitor says it (response time in ms, to the microsecond when stored). */
export type CheckOutcome = Pick<PollResultRecord, 'status' | 'responseTimeMs' | 'reason' | 'details'>;

/** A result as it is kept: [serviceId, status, responseTimeMs, reason, details]; the time is the record's own. */
type Stored = [string, PollResultRecord['status'], number | null, string | null, Record<string, number> | null];

export class ResultSpool {
  private readonly spool: DiskSpool;
  /** Services whose results the backend refuses (no longer in the package): dropped when read. */
  private discarded = new Set<string>();
  /** Results the backend refuses for their timestamps: dropped when read, forgotten once acknowledged past. */
  private readonly discardedSeqs = new Set<number>();
  private discardedCount = 0;

  constructor(options: ResultSpoolOptions) {
    this.spool = DiskSpool.open({
      dir: options.dir,
      maxBytes: options.maxBytes,
      maxAgeMs: options.maxAgeMs,
      fsync: options.fsync ?? true,
      commitIntervalMs: options.commitIntervalMs ?? 1000,
      commitRecords: 1000,
      log: options.log,
      ...(options.now ? { now: options.now } : {}),
    });
  }

  setLimits(limits: { maxAgeMs: number; maxBytes: number }): void {
    this.spool.setLimits(limits);
  }

  /** Appends the outcome of a check of `serviceId` at `timestampMs` and returns its seq. */
  add(serviceId: string, timestampMs: number, outcome: CheckOutcome): number {
    const responseTimeMs = outcome.responseTimeMs === undefined ? null : Math.round(outcome.responseTimeMs * 1000) / 1000;
    // A reason may quote what a server sent (a banner, a body): the backend takes only storable text of bounded length.
    const reason = outcome.reason === undefined ? null : toStorableText(outcome.reason, MAX_REASON_LENGTH);
    const stored: Stored = [serviceId, outcome.status, responseTimeMs, reason, outcome.details ?? null];
    return this.spool.append(JSON.stringify(stored), timestampMs);
  }

  /** Up to `max` durable results, oldest first, not yet acknowledged. */
  async nextBatch(max: number): Promise<PollResultRecord[]> {
    for (;;) {
      const records = await this.spool.read(max);
      const out: PollResultRecord[] = [];
      let skippedTo = 0;
      for (const record of records) {
        let stored: Stored;
        try {
          stored = JSON.parse(record.text) as Stored;
        } catch {
          skippedTo = record.seq; // not ours to send; a damaged line is passed over
          continue;
        }
        if (this.discarded.has(stored[0]) || this.discardedSeqs.has(record.seq)) {
          this.discardedCount++;
          if (out.length === 0) skippedTo = record.seq;
          continue;
        }
        const result: PollResultRecord = { seq: record.seq, serviceId: stored[0], timestamp: record.timestampMs, status: stored[1] };
        if (stored[2] !== null) result.responseTimeMs = stored[2];
        if (stored[3] !== null) result.reason = stored[3];
        if (stored[4] !== null) result.details = stored[4];
        out.push(result);
      }
      // Results passed over at the head are as good as delivered.
      if (out.length === 0 && skippedTo > 0) {
        this.spool.acknowledge(skippedTo);
        continue;
      }
      return out;
    }
  }

  /** The backend stored every result up to `seq`. */
  acknowledge(seq: number): void {
    this.spool.acknowledge(seq);
    for (const dropped of this.discardedSeqs) if (dropped <= seq) this.discardedSeqs.delete(dropped);
  }

  /** These results will not be sent: the backend refuses their timestamps (too far from its clock). */
  discardSeqs(seqs: Iterable<number>): void {
    for (const seq of seqs) this.discardedSeqs.add(seq);
  }

  /** The backend holds numbers up to `seq` from an earlier life of this spool: number after it. */
  skipTo(seq: number): void {
    this.spool.skipTo(seq);
  }

  /** Results for these services will not be sent (the backend refuses them). */
  discardServices(serviceIds: Iterable<string>): void {
    for (const id of serviceIds) this.discarded.add(id);
  }

  /** The services of a new package: refused ones that are back are sent again. */
  keepOnly(serviceIds: ReadonlySet<string>): void {
    this.discarded = new Set([...this.discarded].filter((id) => !serviceIds.has(id)));
  }

  /** Everything waiting is dropped (the identity it was for is gone). */
  discardAll(): Promise<void> {
    return this.spool.discardAll();
  }

  onCommit(listener: () => void): void {
    this.spool.onCommit(listener);
  }

  commit(): Promise<void> {
    return this.spool.commit();
  }

  stats(): DiskSpoolStats & { discarded: number } {
    return { ...this.spool.stats(), discarded: this.discardedCount };
  }

  close(): Promise<void> {
    return this.spool.close();
  }
}
