import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admission under an administrator's control: registration tokens kept in the
 * database (rotated and revoked there; at most one active per location),
 * blocked source addresses, and per monitor the address it registered from
 * (pending limits per address) and when its secret was revoked.
 */
export class RegistrationSecurity1764210000000 implements MigrationInterface {
  name = 'RegistrationSecurity1764210000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE location_monitor ADD COLUMN source_address text`);
    await queryRunner.query(`ALTER TABLE location_monitor ADD COLUMN revoked_at bigint`);
    // Registration counts the monitors waiting for approval per location and per address.
    await queryRunner.query(`CREATE INDEX location_monitor_pending_location ON location_monitor (location) WHERE lifecycle = 'PENDING'`);
    await queryRunner.query(`CREATE INDEX location_monitor_pending_address ON location_monitor (source_address) WHERE lifecycle = 'PENDING'`);
    await queryRunner.query(`
      CREATE TABLE registration_token (
        id serial PRIMARY KEY,
        location text NOT NULL,
        token_hash text NOT NULL,
        created_at bigint NOT NULL,
        created_by text NOT NULL,
        revoked_at bigint,
        revoked_by text,
        UNIQUE (location, token_hash)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX registration_token_active ON registration_token (location) WHERE revoked_at IS NULL`);
    await queryRunner.query(`
      CREATE TABLE blocked_address (
        address text PRIMARY KEY,
        created_at bigint NOT NULL,
        created_by text NOT NULL,
        reason text,
        monitor_id text
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE blocked_address`);
    await queryRunner.query(`DROP TABLE registration_token`);
    await queryRunner.query(`DROP INDEX location_monitor_pending_address`);
    await queryRunner.query(`DROP INDEX location_monitor_pending_location`);
    await queryRunner.query(`ALTER TABLE location_monitor DROP COLUMN revoked_at`);
    await queryRunner.query(`ALTER TABLE location_monitor DROP COLUMN source_address`);
  }
}
