import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The response-time series beyond the raw tier (`poll_result`): 5-minute and
 * 1-hour buckets per monitor and service (count, sum, min and max of the
 * response times, and how many results were UP and DOWN), how far each tier
 * has been rolled up, and per monitor the highest result seq already counted,
 * so results that arrive late (a poller's spool) are counted exactly once.
 *
 * No foreign keys to location_monitor: the rollup writes under REPEATABLE
 * READ, where checking one would fail whenever ingest or a check-in had
 * updated the monitor's row meanwhile. Monitors are never deleted (their
 * lifecycle becomes DELETED), and retention removes old buckets anyway.
 */
export class ResponseTimeRollups1764000000000 implements MigrationInterface {
  name = 'ResponseTimeRollups1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['response_time_5m', 'response_time_1h']) {
      await queryRunner.query(`
        CREATE TABLE ${table} (
          monitor_id text NOT NULL,
          service_id text NOT NULL,
          bucket_start bigint NOT NULL,
          count integer NOT NULL,
          sum double precision NOT NULL,
          min double precision,
          max double precision,
          up_count integer NOT NULL,
          down_count integer NOT NULL,
          PRIMARY KEY (monitor_id, service_id, bucket_start)
        )`);
      // Graphs read one service over a time range; retention deletes by time.
      await queryRunner.query(`CREATE INDEX ${table}_service_time ON ${table} (service_id, bucket_start)`);
      await queryRunner.query(`CREATE INDEX ${table}_time ON ${table} (bucket_start)`);
    }
    await queryRunner.query(`
      CREATE TABLE rollup_progress (
        tier text PRIMARY KEY,
        done_until bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE rollup_seq (
        monitor_id text PRIMARY KEY,
        rolled_seq bigint NOT NULL
      )`);
    // The rollup reads raw results one time window at a time, and retention deletes them by time.
    await queryRunner.query(`CREATE INDEX poll_result_time ON poll_result (timestamp)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX poll_result_time`);
    await queryRunner.query(`DROP TABLE rollup_seq`);
    await queryRunner.query(`DROP TABLE rollup_progress`);
    await queryRunner.query(`DROP TABLE response_time_1h`);
    await queryRunner.query(`DROP TABLE response_time_5m`);
  }
}
