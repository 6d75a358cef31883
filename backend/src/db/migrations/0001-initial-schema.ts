import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Location monitors, per-monitor service state, raw results and events. */
export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE location_monitor (
        id text PRIMARY KEY,
        location text NOT NULL,
        name text NOT NULL,
        lifecycle text NOT NULL,
        paused boolean NOT NULL DEFAULT false,
        is_local boolean NOT NULL DEFAULT false,
        secret_hash text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        registered_at bigint NOT NULL,
        last_check_in_at bigint,
        last_seq bigint NOT NULL DEFAULT 0,
        delivered_version text,
        last_stats jsonb
      )`);
    await queryRunner.query(`CREATE INDEX location_monitor_location ON location_monitor (location)`);
    await queryRunner.query(`CREATE INDEX location_monitor_check_in ON location_monitor (lifecycle, last_check_in_at)`);
    await queryRunner.query(`
      CREATE TABLE service_state (
        monitor_id text NOT NULL REFERENCES location_monitor (id) ON DELETE CASCADE,
        service_id text NOT NULL,
        status text NOT NULL,
        changed_at bigint NOT NULL,
        reason text,
        last_result_at bigint NOT NULL,
        PRIMARY KEY (monitor_id, service_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE poll_result (
        monitor_id text NOT NULL REFERENCES location_monitor (id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        service_id text NOT NULL,
        timestamp bigint NOT NULL,
        status text NOT NULL,
        response_time_ms double precision,
        reason text,
        PRIMARY KEY (monitor_id, seq)
      )`);
    await queryRunner.query(`CREATE INDEX poll_result_service_time ON poll_result (service_id, timestamp)`);
    await queryRunner.query(`
      CREATE TABLE event (
        id bigserial PRIMARY KEY,
        time bigint NOT NULL,
        uei text NOT NULL,
        severity text NOT NULL,
        location text NOT NULL,
        monitor_id text NOT NULL,
        service_id text,
        node_label text,
        params jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX event_time ON event (time DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX event_location_time ON event (location, time DESC)`);
    await queryRunner.query(`CREATE INDEX event_monitor_time ON event (monitor_id, time DESC)`);
    await queryRunner.query(`CREATE INDEX event_uei_time ON event (uei, time DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event`);
    await queryRunner.query(`DROP TABLE poll_result`);
    await queryRunner.query(`DROP TABLE service_state`);
    await queryRunner.query(`DROP TABLE location_monitor`);
  }
}
