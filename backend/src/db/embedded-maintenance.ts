/**
 * VACUUM and CHECKPOINT for the embedded PGlite, which has neither an
 * autovacuum nor a checkpointer: it is PostgreSQL in single-user mode, one
 * backend and no background processes.
 *
 * - Without VACUUM, the rows retention deletes (raw results after a day,
 *   buckets after their tier's retention) and the old versions every update
 *   leaves (service states, check-ins) are never marked reusable, so the
 *   files grow for ever under a steady load. Plain `VACUUM`, not `FULL`:
 *   it makes the space reusable without rewriting a table or taking it away
 *   from the ingest for long. ANALYZE with it, since nothing else would keep
 *   the planner's statistics in step with tables that grow from empty.
 * - Without a checkpointer, a checkpoint happens only when the WAL reaches
 *   max_wal_size or at a clean stop, so a backend killed after a day would
 *   replay a day of WAL at its next start. A CHECKPOINT every few minutes
 *   bounds that replay (like checkpoint_timeout) and lets WAL segments be
 *   recycled, which keeps the folder's WAL near min_wal_size.
 *
 * Each table is vacuumed in its own turn in the database's queue, so
 * requests and ingest run in between. PostgreSQL has its own autovacuum and
 * checkpointer: this runs on the embedded database only.
 */
import { PeriodicTask, type Logger } from '@vantage/runtime';
import type { Database } from './database.ts';

/** Every this often a CHECKPOINT (PostgreSQL's checkpoint_timeout default). */
export const CHECKPOINT_EVERY_MS = 5 * 60_000;
/** At least this long between two VACUUM (ANALYZE) passes: retention deletes once a minute, a pass an hour keeps up. */
export const VACUUM_EVERY_MS = 60 * 60_000;

export interface MaintenanceSummary {
  vacuumed: string[];
  checkpointed: boolean;
}

export class EmbeddedMaintenance {
  private lastVacuumMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly vacuumEveryMs = VACUUM_EVERY_MS,
  ) {}

  /** VACUUM (ANALYZE) every table when the last pass is `vacuumEveryMs` old (or none ran yet), then CHECKPOINT. */
  async runOnce(nowMs = Date.now()): Promise<MaintenanceSummary> {
    const vacuumed: string[] = [];
    if (nowMs - this.lastVacuumMs >= this.vacuumEveryMs) {
      const startedAt = performance.now();
      const tables = (await this.db.manager.query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)) as { tablename: string }[];
      for (const { tablename } of tables) {
        await this.db.runOutsideTransaction(`VACUUM (ANALYZE) "${tablename.replaceAll('"', '""')}"`);
        vacuumed.push(tablename);
      }
      this.lastVacuumMs = nowMs;
      this.log.debug(`VACUUM (ANALYZE) of ${vacuumed.length} tables took ${Math.round(performance.now() - startedAt)} ms`);
    }
    await this.db.runOutsideTransaction('CHECKPOINT');
    return { vacuumed, checkpointed: true };
  }

  /** Runs `runOnce` every `everyMs` (default CHECKPOINT_EVERY_MS), never overlapping itself. */
  task(everyMs = CHECKPOINT_EVERY_MS): PeriodicTask {
    return new PeriodicTask('embedded database maintenance', everyMs, () => this.runOnce(), this.log);
  }
}
