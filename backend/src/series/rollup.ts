/**
 * Rolls raw results (`poll_result`, the raw tier, written by ingest) up into
 * 5-minute and 1-hour response-time buckets, and applies each tier's
 * retention, like OpenNMS's default RRAs: raw for a day, 5-minute buckets for
 * 30 days, 1-hour buckets for 400 days.
 *
 * How results are counted exactly once:
 * - `rollup_progress` holds, per tier, the time before which every bucket has
 *   been computed (`5m`, `1h`) and, under `raw`, the time before which raw
 *   results may have been deleted.
 * - Complete 5-minute buckets at or after the `5m` mark are computed whole
 *   from raw results (an upsert that replaces), so a re-run recomputes the
 *   same figures; 1-hour buckets likewise from the 5-minute tier.
 * - A result that arrives after its bucket was computed (a poller's spool
 *   emptied late) is found by its seq: `rollup_seq` holds, per monitor, the
 *   highest seq the rollup had seen. Ingest commits a monitor's results in
 *   seq order (under the monitor's row lock), so every result above that mark
 *   has never been counted; it is added to its buckets (its raw neighbours
 *   may already be gone) and the mark moves on in the same transaction.
 * - Each chunk runs in one REPEATABLE READ transaction, so the late results,
 *   the window and the new marks come from one snapshot.
 * - Raw results are deleted only below the `5m` mark and at or below their
 *   monitor's seq mark: only once they are counted.
 *
 * Work is done in chunks of one hour of raw results per transaction, so a
 * backlog (after downtime, or on first start over an old database) shows its
 * progress in the log and never holds one huge transaction. The work follows
 * the data, never the distance in time: hours without raw results are
 * skipped in one indexed query (a result from 1970 costs one chunk, not one
 * per hour since), and so are retention's empty stretches.
 */
import { PeriodicTask, type Logger } from '@vantage/runtime';
import type { EntityManager } from 'typeorm';
import type { Database } from '../db/database.ts';

export const FIVE_MINUTES_MS = 5 * 60_000;
export const ONE_HOUR_MS = 60 * 60_000;
const ONE_DAY_MS = 24 * ONE_HOUR_MS;

export interface RollupRetention {
  /** Raw results (`poll_result`) older than this are deleted once rolled up. Default one day. */
  rawRetentionMs: number;
  /** Default 30 days. */
  fiveMinuteRetentionMs: number;
  /** Default 400 days. */
  hourRetentionMs: number;
}

export const DEFAULT_RETENTION: Readonly<RollupRetention> = {
  rawRetentionMs: ONE_DAY_MS,
  fiveMinuteRetentionMs: 30 * ONE_DAY_MS,
  hourRetentionMs: 400 * ONE_DAY_MS,
};

export interface RollupOptions extends Partial<RollupRetention> {
  /** How long after a bucket ends before it is rolled up, for results still on their way. Default 2 minutes. */
  graceMs?: number;
  /** Raw time rolled up (or deleted) per transaction; a multiple of 5 minutes. Default one hour. */
  chunkMs?: number;
  log?: Logger;
}

export interface RollupSummary {
  /** Transactions that rolled up a window of raw results (at least one per run, for late results). */
  chunks: number;
  /** Late results (below the `5m` mark, not yet counted) added to their buckets. */
  lateResults: number;
  /** Every complete 5-minute bucket before this time is rolled up. */
  fiveMinuteDoneUntil: number;
  /** Every complete 1-hour bucket before this time is rolled up. */
  hourDoneUntil: number;
}

export interface RetentionSummary {
  rawDeleted: number;
  fiveMinuteDeleted: number;
  hourDeleted: number;
}

export type RunSummary = RollupSummary & RetentionSummary;

/** Tier names in `rollup_progress`. */
const FIVE = '5m';
const HOUR = '1h';
/** `done_until` of `raw`: raw results before it may have been deleted. */
const RAW = 'raw';

const COLUMNS = 'monitor_id, service_id, bucket_start, count, sum, min, max, up_count, down_count';
/** The aggregate of raw results, given the expression of their bucket. */
const rawAggregate = (bucket: string) => `
  SELECT p.monitor_id, p.service_id, ${bucket} AS bucket_start,
         count(p.response_time_ms) AS count, coalesce(sum(p.response_time_ms), 0) AS sum,
         min(p.response_time_ms) AS min, max(p.response_time_ms) AS max,
         count(*) FILTER (WHERE p.status = 'UP') AS up_count, count(*) FILTER (WHERE p.status = 'DOWN') AS down_count`;
/** The aggregate of buckets of a finer tier, given the expression of the coarser bucket. */
const bucketAggregate = (bucket: string) => `
  SELECT monitor_id, service_id, ${bucket} AS bucket_start,
         sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
         sum(up_count) AS up_count, sum(down_count) AS down_count`;
/** A bucket computed again replaces what was there: a re-run changes nothing. */
const REPLACE = `
  ON CONFLICT (monitor_id, service_id, bucket_start) DO UPDATE SET
    count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max,
    up_count = EXCLUDED.up_count, down_count = EXCLUDED.down_count`;
/** Late results are added to what their bucket already holds (its raw results may be gone). */
const add = (table: string) => `
  ON CONFLICT (monitor_id, service_id, bucket_start) DO UPDATE SET
    count = ${table}.count + EXCLUDED.count, sum = ${table}.sum + EXCLUDED.sum,
    min = LEAST(${table}.min, EXCLUDED.min), max = GREATEST(${table}.max, EXCLUDED.max),
    up_count = ${table}.up_count + EXCLUDED.up_count, down_count = ${table}.down_count + EXCLUDED.down_count`;

export class ResponseTimeRollup {
  readonly retention: Readonly<RollupRetention>;
  private readonly graceMs: number;
  private readonly chunkMs: number;
  private readonly log: Logger | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly db: Database,
    options: RollupOptions = {},
  ) {
    this.retention = {
      rawRetentionMs: options.rawRetentionMs ?? DEFAULT_RETENTION.rawRetentionMs,
      fiveMinuteRetentionMs: options.fiveMinuteRetentionMs ?? DEFAULT_RETENTION.fiveMinuteRetentionMs,
      hourRetentionMs: options.hourRetentionMs ?? DEFAULT_RETENTION.hourRetentionMs,
    };
    this.graceMs = options.graceMs ?? 2 * 60_000;
    this.chunkMs = options.chunkMs ?? ONE_HOUR_MS;
    this.log = options.log;
    if (!(this.chunkMs > 0 && this.chunkMs % FIVE_MINUTES_MS === 0)) throw new RangeError(`chunkMs must be a positive multiple of 5 minutes, not ${this.chunkMs}`);
    for (const [name, value] of Object.entries(this.retention)) {
      if (!(value > 0)) throw new RangeError(`${name} must be positive, not ${value}`);
    }
  }

  /**
   * A task that runs `runOnce` every `everyMs` (default one minute), never
   * overlapping itself, when `runIf` says so (on the job's leader). Call `stop()` here before the task's own `stop()` so a
   * long backlog ends at its next chunk rather than holding up shutdown.
   */
  task(log: Logger, everyMs = 60_000, runIf: () => boolean = () => true): PeriodicTask {
    return new PeriodicTask('response-time rollup', everyMs, async () => (runIf() ? this.runOnce(Date.now(), this.stopping.signal) : undefined), log);
  }

  /** Makes the task's running pass, if any, stop after its current chunk. */
  stop(): void {
    this.stopping.abort();
  }

  /** Rolls up what is due, then applies retention. `signal` stops a long backlog between chunks. */
  async runOnce(nowMs: number = Date.now(), signal?: AbortSignal): Promise<RunSummary> {
    const rolled = await this.rollUp(nowMs, signal);
    const deleted = signal?.aborted ? { rawDeleted: 0, fiveMinuteDeleted: 0, hourDeleted: 0 } : await this.applyRetention(nowMs, signal);
    return { ...rolled, ...deleted };
  }

  /** Rolls up every complete 5-minute bucket ending at least `graceMs` before `nowMs`, and the hours they complete. */
  async rollUp(nowMs: number, signal?: AbortSignal): Promise<RollupSummary> {
    const target = floorTo(nowMs - this.graceMs, FIVE_MINUTES_MS);
    const start = await this.initialize(target);
    const backlog = target - start > this.chunkMs;
    const totalChunks = backlog ? await this.chunksToRollUp(start, target) : 1;
    const reportEvery = Math.max(1, Math.ceil(totalChunks / 10));
    if (backlog) this.log?.info(`rolling up ${formatSpan(target - start)} of results from ${iso(start)} to ${iso(target)} in ${totalChunks} chunks`);

    const summary: RollupSummary = { chunks: 0, lateResults: 0, fiveMinuteDoneUntil: start, hourDoneUntil: floorTo(start, ONE_HOUR_MS) };
    do {
      const chunk = await this.db.transaction((manager) => this.rollUpChunk(manager, target));
      summary.chunks++;
      summary.lateResults += chunk.lateResults;
      summary.fiveMinuteDoneUntil = chunk.fiveMinuteDoneUntil;
      summary.hourDoneUntil = chunk.hourDoneUntil;
      if (chunk.lateResults > 0) this.log?.debug(`counted ${chunk.lateResults} late results`);
      if (backlog && (summary.chunks % reportEvery === 0 || summary.fiveMinuteDoneUntil >= target)) {
        this.log?.info(`rolled up to ${iso(summary.fiveMinuteDoneUntil)} (chunk ${summary.chunks} of ${totalChunks})`);
      }
    } while (summary.fiveMinuteDoneUntil < target && !signal?.aborted);
    if (signal?.aborted && summary.fiveMinuteDoneUntil < target) this.log?.info(`rollup stopped at ${iso(summary.fiveMinuteDoneUntil)}`);
    return summary;
  }

  /**
   * Deletes raw results older than the raw retention (only those already
   * rolled up), and buckets older than their tier's retention (5-minute ones
   * only once their hour is rolled up), one chunk per transaction.
   */
  async applyRetention(nowMs: number, signal?: AbortSignal): Promise<RetentionSummary> {
    const progress = await readProgress(this.db.manager);
    const fiveDone = progress.get(FIVE);
    const hourDone = progress.get(HOUR);
    if (fiveDone === undefined || hourDone === undefined) return { rawDeleted: 0, fiveMinuteDeleted: 0, hourDeleted: 0 };

    const rawCut = Math.min(floorTo(nowMs - this.retention.rawRetentionMs, FIVE_MINUTES_MS), fiveDone);
    let rawFrom = progress.get(RAW) ?? (await this.initializeRawMark(rawCut));
    let rawDeleted = 0;
    const rawChunks = Math.ceil((rawCut - rawFrom) / this.chunkMs);
    if (rawChunks > 1) this.log?.info(`deleting ${formatSpan(rawCut - rawFrom)} of rolled-up raw results before ${iso(rawCut)}`);
    // At least one statement per run: late results below the mark, rolled up since, go too.
    do {
      // Up to the end of the chunk holding the next raw result: a stretch without any costs nothing.
      const next = await firstAtOrAfter(this.db.manager, 'poll_result', 'timestamp', rawFrom, rawCut);
      const until = next === undefined ? rawCut : Math.max(rawFrom, Math.min(rawCut, floorTo(next, this.chunkMs) + this.chunkMs));
      rawDeleted += await this.db.transaction(async (manager) => {
        const [row] = await manager.query(
          `WITH gone AS (
             DELETE FROM poll_result p
             WHERE p.timestamp < $1
               AND EXISTS (SELECT 1 FROM rollup_seq s WHERE s.monitor_id = p.monitor_id AND s.rolled_seq >= p.seq)
             RETURNING 1)
           SELECT count(*) AS n FROM gone`,
          [until],
        );
        if (until > rawFrom) await setProgress(manager, RAW, until);
        return Number(row.n);
      });
      rawFrom = until;
    } while (rawFrom < rawCut && !signal?.aborted);

    const fiveMinuteDeleted = signal?.aborted
      ? 0
      : await this.deleteBuckets('response_time_5m', Math.min(floorTo(nowMs - this.retention.fiveMinuteRetentionMs, FIVE_MINUTES_MS), hourDone), signal);
    const hourDeleted = signal?.aborted ? 0 : await this.deleteBuckets('response_time_1h', floorTo(nowMs - this.retention.hourRetentionMs, ONE_HOUR_MS), signal);
    if (rawDeleted + fiveMinuteDeleted + hourDeleted > 0) {
      this.log?.debug(`retention deleted ${rawDeleted} raw results, ${fiveMinuteDeleted} 5-minute and ${hourDeleted} 1-hour buckets`);
    }
    return { rawDeleted, fiveMinuteDeleted, hourDeleted };
  }

  /** The `raw` mark on a database that never had one: the bucket of the oldest raw result, at most `rawCut`. */
  private async initializeRawMark(rawCut: number): Promise<number> {
    const [row] = await this.db.manager.query(`SELECT min(timestamp) AS t FROM poll_result`);
    const rawFrom = row?.t == null ? rawCut : Math.min(rawCut, floorTo(Number(row.t), FIVE_MINUTES_MS));
    await this.db.transaction((manager) => setProgress(manager, RAW, rawFrom));
    return rawFrom;
  }

  /** Deletes a tier's buckets before `cut`, a day of buckets per transaction, skipping days without any. */
  private async deleteBuckets(table: 'response_time_5m' | 'response_time_1h', cut: number, signal?: AbortSignal): Promise<number> {
    let deleted = 0;
    let from = Number.MIN_SAFE_INTEGER;
    while (!signal?.aborted) {
      const first = await firstAtOrAfter(this.db.manager, table, 'bucket_start', from, cut);
      if (first === undefined) break;
      const until = Math.min(cut, floorTo(first, ONE_DAY_MS) + ONE_DAY_MS);
      deleted += await this.db.transaction(async (manager) => {
        const [row] = await manager.query(`WITH gone AS (DELETE FROM ${table} WHERE bucket_start < $1 RETURNING 1) SELECT count(*) AS n FROM gone`, [until]);
        return Number(row.n);
      });
      from = until;
    }
    return deleted;
  }

  /**
   * How many transactions rolling up from `start` to `target` takes: one per
   * chunk that holds raw results (the empty ones in between are skipped), at
   * least one. Only for the log of a backlog; counted on the time index.
   */
  private async chunksToRollUp(start: number, target: number): Promise<number> {
    // As rollUpChunk walks: one chunk per chunk-long span that holds results, and one more for the stretch from
    // the end of the last of them to the target when there is one (it holds no result, but must be walked).
    const [row] = await this.db.manager.query(
      `SELECT count(DISTINCT timestamp / $3::bigint) AS n, max(timestamp) AS last FROM poll_result WHERE timestamp >= $1 AND timestamp < $2`,
      [start, target, this.chunkMs],
    );
    const spans = Number(row?.n ?? 0);
    if (spans === 0) return 1;
    return spans + (floorTo(Number(row.last), this.chunkMs) + this.chunkMs < target ? 1 : 0);
  }

  /**
   * Where rolling up starts on a database that has never been rolled up: the
   * bucket of the oldest raw result, and every monitor's seq mark at what is
   * stored now (no stored result is below that bucket, so none is late).
   * Returns the `5m` mark.
   */
  private async initialize(target: number): Promise<number> {
    const known = (await readProgress(this.db.manager)).get(FIVE);
    if (known !== undefined) return known;
    return this.db.transaction(async (manager) => {
      await manager.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
      const [row] = await manager.query(`SELECT min(timestamp) AS t FROM poll_result`);
      const start = row?.t == null ? target : Math.min(target, floorTo(Number(row.t), FIVE_MINUTES_MS));
      await manager.query(
        `INSERT INTO rollup_progress (tier, done_until) VALUES ($1, $2), ($3, $4) ON CONFLICT (tier) DO NOTHING`,
        [FIVE, start, HOUR, floorTo(start, ONE_HOUR_MS)],
      );
      await advanceSeqMarks(manager);
      return (await readProgress(manager)).get(FIVE) ?? start;
    });
  }

  /**
   * One transaction: adds late results to their buckets, rolls up the next
   * window of complete 5-minute buckets (at most one chunk, ending at
   * `target`) and the hours it completes, and moves the marks.
   */
  private async rollUpChunk(manager: EntityManager, target: number): Promise<RollupSummary> {
    await manager.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`);
    // The lock makes a second rollup (another backend on the same PostgreSQL) wait, then fail, rather than interleave.
    const rows: { tier: string; done_until: string | number }[] = await manager.query(
      `SELECT tier, done_until FROM rollup_progress WHERE tier IN ($1, $2) ORDER BY tier FOR UPDATE`,
      [FIVE, HOUR],
    );
    const marks = new Map(rows.map((r) => [r.tier, Number(r.done_until)]));
    const fiveFrom = marks.get(FIVE);
    const hourFrom = marks.get(HOUR);
    if (fiveFrom === undefined || hourFrom === undefined) throw new Error('rollup_progress has no 5m or 1h row');

    // Results below the 5m mark that the rollup has never seen: add them to both tiers where those are done.
    const [late] = await manager.query(
      `WITH late AS (
         ${rawAggregate(`p.timestamp / ${FIVE_MINUTES_MS} * ${FIVE_MINUTES_MS}`)}, count(*) AS results
         FROM (SELECT lm.id, coalesce(s.rolled_seq, 0) AS rolled_seq FROM location_monitor lm LEFT JOIN rollup_seq s ON s.monitor_id = lm.id) m
         -- Per monitor, a range of its primary key: only what came since the last chunk is read.
         -- (OFFSET 0 keeps the planner from flattening this into a scan of every raw result.)
         CROSS JOIN LATERAL (SELECT * FROM poll_result r WHERE r.monitor_id = m.id AND r.seq > m.rolled_seq OFFSET 0) p
         WHERE p.timestamp < $1
         GROUP BY p.monitor_id, p.service_id, p.timestamp / ${FIVE_MINUTES_MS} * ${FIVE_MINUTES_MS}
       ), five AS (
         INSERT INTO response_time_5m (${COLUMNS})
         SELECT ${COLUMNS} FROM late
         ${add('response_time_5m')}
         RETURNING 1
       ), hour AS (
         INSERT INTO response_time_1h (${COLUMNS})
         ${bucketAggregate(`bucket_start / ${ONE_HOUR_MS} * ${ONE_HOUR_MS}`)}
         FROM late WHERE bucket_start < $2
         GROUP BY monitor_id, service_id, bucket_start / ${ONE_HOUR_MS} * ${ONE_HOUR_MS}
         ${add('response_time_1h')}
         RETURNING 1
       )
       SELECT (SELECT coalesce(sum(results), 0) FROM late) AS results, (SELECT count(*) FROM five) AS five, (SELECT count(*) FROM hour) AS hour`,
      [fiveFrom, hourFrom],
    );

    // This window ends with the chunk that holds the next raw result (or at the target): hours with none are skipped, not walked.
    const next = await firstAtOrAfter(manager, 'poll_result', 'timestamp', fiveFrom, target);
    const windowEnd = next === undefined ? target : floorTo(Math.max(fiveFrom, next), this.chunkMs) + this.chunkMs;
    const fiveUntil = Math.max(fiveFrom, Math.min(target, windowEnd));
    if (fiveUntil > fiveFrom) {
      await manager.query(
        `INSERT INTO response_time_5m (${COLUMNS})
         ${rawAggregate(`p.timestamp / ${FIVE_MINUTES_MS} * ${FIVE_MINUTES_MS}`)}
         FROM poll_result p
         WHERE p.timestamp >= $1 AND p.timestamp < $2
         GROUP BY p.monitor_id, p.service_id, p.timestamp / ${FIVE_MINUTES_MS} * ${FIVE_MINUTES_MS}
         ${REPLACE}`,
        [fiveFrom, fiveUntil],
      );
    }
    const hourUntil = Math.max(hourFrom, floorTo(fiveUntil, ONE_HOUR_MS));
    if (hourUntil > hourFrom) {
      await manager.query(
        `INSERT INTO response_time_1h (${COLUMNS})
         ${bucketAggregate(`bucket_start / ${ONE_HOUR_MS} * ${ONE_HOUR_MS}`)}
         FROM response_time_5m
         WHERE bucket_start >= $1 AND bucket_start < $2
         GROUP BY monitor_id, service_id, bucket_start / ${ONE_HOUR_MS} * ${ONE_HOUR_MS}
         ${REPLACE}`,
        [hourFrom, hourUntil],
      );
    }
    await advanceSeqMarks(manager);
    await setProgress(manager, FIVE, fiveUntil);
    await setProgress(manager, HOUR, hourUntil);
    return { chunks: 1, lateResults: Number(late.results), fiveMinuteDoneUntil: fiveUntil, hourDoneUntil: hourUntil };
  }
}

/**
 * Moves every monitor's seq mark to its highest stored seq, in the
 * transaction's snapshot: everything at or below it below the 5m mark is now
 * counted.
 */
async function advanceSeqMarks(manager: EntityManager): Promise<void> {
  await manager.query(
    `INSERT INTO rollup_seq (monitor_id, rolled_seq)
     SELECT id, last_seq FROM (
       SELECT lm.id, (SELECT max(p.seq) FROM poll_result p WHERE p.monitor_id = lm.id) AS last_seq FROM location_monitor lm
     ) m
     WHERE last_seq IS NOT NULL
     ON CONFLICT (monitor_id) DO UPDATE SET rolled_seq = EXCLUDED.rolled_seq WHERE rollup_seq.rolled_seq < EXCLUDED.rolled_seq`,
  );
}

/** `rollup_progress` as a map from tier to `done_until`. */
export async function readProgress(manager: EntityManager): Promise<Map<string, number>> {
  const rows: { tier: string; done_until: string | number }[] = await manager.query(`SELECT tier, done_until FROM rollup_progress`);
  return new Map(rows.map((r) => [r.tier, Number(r.done_until)]));
}

async function setProgress(manager: EntityManager, tier: string, doneUntil: number): Promise<void> {
  await manager.query(
    `INSERT INTO rollup_progress (tier, done_until) VALUES ($1, $2) ON CONFLICT (tier) DO UPDATE SET done_until = EXCLUDED.done_until`,
    [tier, doneUntil],
  );
}

/**
 * The smallest `column` of `table` in [from, before), or undefined: one step
 * down the column's index, however far the next value is.
 */
async function firstAtOrAfter(manager: EntityManager, table: string, column: string, from: number, before: number): Promise<number | undefined> {
  if (from >= before) return undefined;
  const [row] = await manager.query(`SELECT min(${column}) AS t FROM ${table} WHERE ${column} >= $1 AND ${column} < $2`, [from, before]);
  return row?.t == null ? undefined : Number(row.t);
}

export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function formatSpan(ms: number): string {
  return ms >= 2 * ONE_DAY_MS ? `${(ms / ONE_DAY_MS).toFixed(1)} days` : ms >= 2 * ONE_HOUR_MS ? `${(ms / ONE_HOUR_MS).toFixed(1)} hours` : `${Math.round(ms / 60_000)} minutes`;
}
