import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event engine's tables: alarms (reduced by key, cleared, acknowledged),
 * outages (one open per service per monitor), the notification outbox,
 * application state for cross-location correlation; and what the event
 * stream has announced per service, apart from its true status.
 */
export class AlarmsOutagesNotifications1763900000000 implements MigrationInterface {
  name = 'AlarmsOutagesNotifications1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Application-level events belong to no single monitor or location.
    await queryRunner.query(`ALTER TABLE event ALTER COLUMN monitor_id DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE event ALTER COLUMN location DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE service_state ADD COLUMN event_status text NOT NULL DEFAULT 'UP'`);
    await queryRunner.query(`UPDATE service_state SET event_status = status`);
    await queryRunner.query(`ALTER TABLE location_monitor ADD COLUMN connectivity_lost boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`
      CREATE TABLE alarm (
        id bigserial PRIMARY KEY,
        reduction_key text NOT NULL UNIQUE,
        uei text NOT NULL,
        severity text NOT NULL,
        location text,
        monitor_id text,
        service_id text,
        node_label text,
        application text,
        description text NOT NULL,
        reason text,
        first_event_time bigint NOT NULL,
        last_event_time bigint NOT NULL,
        last_event_id bigint NOT NULL,
        count integer NOT NULL DEFAULT 1,
        cleared_at bigint,
        acknowledged_by text,
        acknowledged_at bigint
      )`);
    await queryRunner.query(`CREATE INDEX alarm_open ON alarm (cleared_at, last_event_time DESC)`);
    await queryRunner.query(`CREATE INDEX alarm_monitor ON alarm (monitor_id)`);
    await queryRunner.query(`
      CREATE TABLE outage (
        id bigserial PRIMARY KEY,
        monitor_id text NOT NULL,
        location text NOT NULL,
        service_id text NOT NULL,
        node_label text,
        started_at bigint NOT NULL,
        ended_at bigint,
        reason text,
        /* Inside an outage calendar window: recorded, but no events or alarms were raised. */
        scheduled boolean NOT NULL DEFAULT false
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX outage_open ON outage (monitor_id, service_id) WHERE ended_at IS NULL`);
    await queryRunner.query(`CREATE INDEX outage_service_time ON outage (service_id, started_at)`);
    await queryRunner.query(`CREATE INDEX outage_location_time ON outage (location, started_at)`);
    await queryRunner.query(`
      CREATE TABLE notification (
        id bigserial PRIMARY KEY,
        sink text NOT NULL,
        event_id bigint NOT NULL,
        event jsonb NOT NULL,
        state text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        last_error text,
        created_at bigint NOT NULL,
        finished_at bigint
      )`);
    await queryRunner.query(`CREATE INDEX notification_due ON notification (state, next_attempt_at)`);
    await queryRunner.query(`
      CREATE TABLE application_state (
        name text PRIMARY KEY,
        down boolean NOT NULL,
        changed_at bigint NOT NULL,
        down_locations jsonb NOT NULL DEFAULT '[]'
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE application_state`);
    await queryRunner.query(`DROP TABLE notification`);
    await queryRunner.query(`DROP TABLE outage`);
    await queryRunner.query(`DROP TABLE alarm`);
    await queryRunner.query(`ALTER TABLE location_monitor DROP COLUMN connectivity_lost`);
    await queryRunner.query(`ALTER TABLE service_state DROP COLUMN event_status`);
  }
}
