/** Deletes alarms cleared longer ago than the retention, a tenth of the retention apart (1 s to 1 h), when `runIf` says so (on the job's leader). */
import { PeriodicTask, type Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import { deleteClearedAlarms } from './alarm-store.ts';

export function clearedAlarmCleanup(db: Database, retentionMs: number, log: Logger, runIf: () => boolean = () => true): PeriodicTask {
  return new PeriodicTask(
    'cleared-alarm clean-up',
    Math.max(1_000, Math.min(3_600_000, Math.floor(retentionMs / 10))),
    async () => {
      if (!runIf()) return;
      const deleted = await deleteClearedAlarms(db, Date.now(), retentionMs);
      if (deleted > 0) log.info(`deleted ${deleted} alarm${deleted === 1 ? '' : 's'} cleared more than ${Math.round(retentionMs / 60_000)} min ago`);
    },
    log,
  );
}
