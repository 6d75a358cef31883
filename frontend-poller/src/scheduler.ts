/**
 * Runs each of a poller's services at its interval, spread evenly over the
 * interval, with a bounded number of checks at once.
 *
 * A poller may hold 100,000 services, so there is no timer or promise chain
 * per service: one min-heap of due times and one timer, set for the earliest.
 */
import type { PolledService } from '@vantage/common';
import type { Clock, TimerHandle } from './clock.ts';
import { MinHeap } from './min-heap.ts';

/** What a {@link PollScheduler} is built with. */
export interface PollSchedulerOptions {
  clock: Clock;
  /** Most checks running at once (the poller's `parallelTasks` setting). */
  parallelTasks: number;
  /** Runs one check of `service` and spools its result. */
  runCheck: (service: PolledService) => Promise<void>;
  /** Receives what `runCheck` threw or rejected with; by default it is logged to stderr. */
  onError?: (err: unknown, service: PolledService) => void;
}

/** The scheduler's counters, for check-in stats and logs. */
export interface PollSchedulerStats {
  /** Services in the schedule. */
  services: number;
  /** Checks running now. */
  running: number;
  /** Checks due and waiting for a free slot. */
  queued: number;
  /** Checks started since the scheduler was made. */
  started: number;
  /** Rounds skipped because the service's previous check had not started or finished. */
  skipped: number;
  /** Median of how late checks started (start time minus due time), over the last 1,000 starts. */
  lateMsP50: number;
  /** 99th percentile of the same. */
  lateMsP99: number;
}

interface Entry {
  readonly service: PolledService;
  // Held per entry, not read from the service, so that a later per-service
  // interval change (the downtime model) can reschedule one entry alone.
  intervalMs: number;
  phaseMs: number;
  dueMs: number;
  queued: boolean;
}

interface QueuedCheck {
  readonly entry: Entry;
  readonly dueMs: number;
}

const LATENESS_WINDOW = 1_000;
// setTimeout fires at once for longer delays; an early wake-up just re-arms.
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

const byDueTime = (entry: Entry): number => entry.dueMs;

function compareServiceIds(a: PolledService, b: PolledService): number {
  // Code-unit order rather than localeCompare: phases must not depend on the host's locale.
  return a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0;
}

/** The first instant at or after `nowMs` that is `phaseMs` past a multiple of `intervalMs` since the epoch. */
function dueAtOrAfter(nowMs: number, intervalMs: number, phaseMs: number): number {
  const due = Math.ceil((nowMs - phaseMs) / intervalMs) * intervalMs + phaseMs;
  return due < nowMs ? due + intervalMs : due;
}

function defaultOnError(err: unknown, service: PolledService): void {
  console.error(`check of service ${service.serviceId} failed:`, err);
}

/** A FIFO queue with O(1) shift, which `Array.prototype.shift` is not on long queues. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head >= 1_024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns everything queued, oldest first. */
  drain(): T[] {
    const items = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return items;
  }
}

/**
 * Schedules a poller's checks. Services of one interval are spread evenly over
 * it: sorted by serviceId, service i of n is due at every instant k·interval +
 * i·interval/n since the Unix epoch, so a restarted poller keeps the same phases.
 * Lateness never drifts the schedule: each next due time comes from the phase,
 * not from when the check actually ran.
 */
export class PollScheduler {
  private readonly clock: Clock;
  private parallelTasks: number;
  private readonly runCheck: (service: PolledService) => Promise<void>;
  private readonly onError: (err: unknown, service: PolledService) => void;

  private entries = new Map<string, Entry>();
  private heap = new MinHeap<Entry>(byDueTime);
  private readonly queue = new Fifo<QueuedCheck>();
  // By serviceId rather than by entry, so a check still running across a
  // setServices call still blocks a second check of the same service.
  private readonly runningIds = new Set<string>();

  private active = false;
  // Bumped by setServices, so a batch of due checks from the old schedule stops dispatching.
  private generation = 0;
  private timer: TimerHandle | undefined;
  private timerDueMs = 0;
  private idleWaiters: (() => void)[] = [];

  private startedCount = 0;
  private skippedCount = 0;
  private readonly lateness = new Float64Array(LATENESS_WINDOW);
  private latenessCount = 0;

  constructor(options: PollSchedulerOptions) {
    if (!Number.isInteger(options.parallelTasks) || options.parallelTasks < 1) {
      throw new RangeError(`parallelTasks must be a positive integer, got ${options.parallelTasks}`);
    }
    this.clock = options.clock;
    this.parallelTasks = options.parallelTasks;
    this.runCheck = options.runCheck;
    this.onError = options.onError ?? defaultOnError;
  }

  /** Changes how many checks may run at once (the backend's setting may change); queued checks start if room opened. */
  setParallelTasks(parallelTasks: number): void {
    if (!Number.isInteger(parallelTasks) || parallelTasks < 1) {
      throw new RangeError(`parallelTasks must be a positive integer, got ${parallelTasks}`);
    }
    this.parallelTasks = parallelTasks;
    this.startQueued();
  }

  /** Number of services in the schedule. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Replaces the schedule with `services`, recomputing every phase. Removed
   * services are not checked again (a check of one already running finishes);
   * a check already queued for a service that stays runs with its new definition.
   * If a serviceId occurs twice, the last one wins.
   */
  setServices(services: readonly PolledService[]): void {
    const byId = new Map<string, PolledService>();
    for (const service of services) byId.set(service.serviceId, service);

    const groups = new Map<number, PolledService[]>();
    for (const service of byId.values()) {
      const group = groups.get(service.intervalMs);
      if (group === undefined) groups.set(service.intervalMs, [service]);
      else group.push(service);
    }

    const entries = new Map<string, Entry>();
    for (const [intervalMs, group] of groups) {
      group.sort(compareServiceIds);
      const n = group.length;
      for (let i = 0; i < n; i++) {
        const service = group[i]!;
        // Whole milliseconds, so due times and result timestamps stay integers.
        const phaseMs = Math.floor((i * intervalMs) / n);
        entries.set(service.serviceId, { service, intervalMs, phaseMs, dueMs: 0, queued: false });
      }
    }

    for (const check of this.queue.drain()) {
      const entry = entries.get(check.entry.service.serviceId);
      if (entry === undefined) continue;
      entry.queued = true;
      this.queue.push({ entry, dueMs: check.dueMs });
    }

    this.entries = entries;
    this.generation++;
    this.reschedule(this.clock.now());
  }

  /** Starts checking; the first run of each service is its first due instant from now on. */
  start(): void {
    if (this.active) return;
    this.active = true;
    // After a stop() the old due times are stale; catching them all up at once would be a burst.
    this.reschedule(this.clock.now());
  }

  /**
   * Stops checking: no check starts after this call and queued ones are dropped.
   * Resolves when the checks already running have finished.
   */
  stop(): Promise<void> {
    this.active = false;
    this.disarm();
    for (const check of this.queue.drain()) check.entry.queued = false;
    if (this.runningIds.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A snapshot of the counters. */
  stats(): PollSchedulerStats {
    const count = Math.min(this.latenessCount, LATENESS_WINDOW);
    const window = this.lateness.slice(0, count).sort();
    return {
      services: this.entries.size,
      running: this.runningIds.size,
      queued: this.queue.length,
      started: this.startedCount,
      skipped: this.skippedCount,
      lateMsP50: percentile(window, 0.5),
      lateMsP99: percentile(window, 0.99),
    };
  }

  private reschedule(nowMs: number): void {
    for (const entry of this.entries.values()) {
      entry.dueMs = dueAtOrAfter(nowMs, entry.intervalMs, entry.phaseMs);
    }
    this.heap = new MinHeap(byDueTime, this.entries.values());
    this.disarm();
    this.arm(nowMs);
  }

  private arm(nowMs: number): void {
    if (!this.active) return;
    const next = this.heap.peek();
    if (next === undefined) return;
    // The earliest due time can only be more than an interval away if the wall
    // clock was set back; without this, every check would wait for it to catch up.
    if (next.dueMs - nowMs > next.intervalMs) {
      this.reschedule(nowMs);
      return;
    }
    if (this.timer !== undefined) {
      if (this.timerDueMs === next.dueMs) return;
      this.disarm();
    }
    const delayMs = Math.min(Math.max(0, next.dueMs - nowMs), MAX_TIMER_DELAY_MS);
    this.timerDueMs = next.dueMs;
    this.timer = this.clock.setTimer(() => this.onTimer(), delayMs);
  }

  private disarm(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.active) return;
    const nowMs = this.clock.now();
    const heap = this.heap;
    const generation = this.generation;
    const due: QueuedCheck[] = [];
    for (let entry = heap.peek(); entry !== undefined && entry.dueMs <= nowMs; entry = heap.peek()) {
      heap.pop();
      due.push({ entry, dueMs: entry.dueMs });
      entry.dueMs += entry.intervalMs;
      if (entry.dueMs <= nowMs) {
        // The clock jumped forward past whole rounds: those are not made up.
        entry.dueMs = (Math.floor((nowMs - entry.phaseMs) / entry.intervalMs) + 1) * entry.intervalMs + entry.phaseMs;
      }
      heap.push(entry);
    }
    // Re-armed before any check runs, so a runCheck that calls setServices or
    // stop synchronously sees a consistent schedule.
    this.arm(nowMs);
    for (const check of due) {
      if (!this.active || this.generation !== generation) break;
      this.dispatch(check);
    }
  }

  private dispatch(check: QueuedCheck): void {
    const { entry } = check;
    if (entry.queued || this.runningIds.has(entry.service.serviceId)) {
      this.skippedCount++;
    } else if (this.runningIds.size < this.parallelTasks) {
      this.startCheck(check);
    } else {
      entry.queued = true;
      this.queue.push(check);
    }
  }

  private startCheck({ entry, dueMs }: QueuedCheck): void {
    const { service } = entry;
    this.runningIds.add(service.serviceId);
    this.startedCount++;
    this.lateness[this.latenessCount++ % LATENESS_WINDOW] = this.clock.now() - dueMs;

    let check: Promise<void>;
    try {
      check = Promise.resolve(this.runCheck(service));
    } catch (err) {
      check = Promise.reject(err);
    }
    void check
      .then(undefined, (err: unknown) => this.reportError(err, service))
      .then(() => this.finishCheck(service.serviceId));
  }

  private reportError(err: unknown, service: PolledService): void {
    try {
      this.onError(err, service);
    } catch (handlerErr) {
      // A throwing handler must not turn into an unhandled rejection or stall the slot.
      defaultOnError(handlerErr, service);
    }
  }

  /** Starts queued checks while there are free slots. */
  private startQueued(): void {
    while (this.active && this.runningIds.size < this.parallelTasks) {
      const check = this.queue.shift();
      if (check === undefined) break;
      check.entry.queued = false;
      this.startCheck(check);
    }
  }

  private finishCheck(serviceId: string): void {
    this.runningIds.delete(serviceId);
    this.startQueued();
    if (this.runningIds.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** Nearest-rank percentile of an ascending array; 0 when it is empty. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
