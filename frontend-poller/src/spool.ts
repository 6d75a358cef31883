/**
 * Results waiting to be acknowledged by the backend, oldest first. Bounded by
 * age and by an estimate of their size: when the backend is away too long
 * the oldest results are dropped, and counted, rather than memory growing
 * without end.
 */
import type { PollResultRecord } from '@vantage/common';

/** A result's rough size in memory and on the wire; only needs to be the right order of magnitude. */
const APPROX_RESULT_BYTES = 160;

export class ResultSpool {
  private items: PollResultRecord[] = [];
  private head = 0;
  dropped = 0;

  constructor(
    private limits: { maxAgeMs: number; maxBytes: number },
    private readonly now: () => number = Date.now,
  ) {}

  setLimits(limits: { maxAgeMs: number; maxBytes: number }): void {
    this.limits = limits;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  push(result: PollResultRecord): void {
    this.items.push(result);
    this.enforceLimits();
  }

  /** The oldest results, up to `max`, without removing them. */
  peek(max: number): PollResultRecord[] {
    return this.items.slice(this.head, this.head + max);
  }

  /** Removes every result with seq ≤ ackedSeq (the backend has them). */
  acknowledge(ackedSeq: number): void {
    while (this.head < this.items.length && this.items[this.head]!.seq <= ackedSeq) this.head++;
    this.compact();
  }

  /** Drops results for these services (the backend refuses them: no longer in our package). */
  discardServices(serviceIds: ReadonlySet<string>): number {
    const before = this.size;
    this.items = this.items.slice(this.head).filter((r) => !serviceIds.has(r.serviceId));
    this.head = 0;
    return before - this.size;
  }

  /** Drops these results (the backend refuses their timestamps: they are too far from its clock). */
  discardSeqs(seqs: ReadonlySet<number>): number {
    const before = this.size;
    this.items = this.items.slice(this.head).filter((r) => !seqs.has(r.seq));
    this.head = 0;
    return before - this.size;
  }

  private enforceLimits(): void {
    const maxItems = Math.max(1, Math.floor(this.limits.maxBytes / APPROX_RESULT_BYTES));
    const oldestAllowed = this.now() - this.limits.maxAgeMs;
    while (this.size > maxItems || (this.size > 0 && this.items[this.head]!.timestamp < oldestAllowed)) {
      this.head++;
      this.dropped++;
    }
    this.compact();
  }

  private compact(): void {
    // Shift the array only now and then, so acknowledging is O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
