import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The installation's identity (one row: every backend on this database is the
 * same installation, so a poller keeps one identity for all of them), and the
 * server each location monitor is using among its home and standbys.
 */
export class InstallationAndPollerServers1764200000000 implements MigrationInterface {
  name = 'InstallationAndPollerServers1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE installation (
        id text PRIMARY KEY,
        created_at bigint NOT NULL,
        singleton boolean NOT NULL DEFAULT true UNIQUE CHECK (singleton)
      )`);
    await queryRunner.query(`INSERT INTO installation (id, created_at) VALUES (gen_random_uuid()::text, (extract(epoch from now()) * 1000)::bigint)`);
    await queryRunner.query(`ALTER TABLE location_monitor ADD COLUMN server_url text, ADD COLUMN server_role text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE location_monitor DROP COLUMN server_role, DROP COLUMN server_url`);
    await queryRunner.query(`DROP TABLE installation`);
  }
}
