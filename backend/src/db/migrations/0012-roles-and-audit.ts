import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A role for every user (admin, operator, viewer) and the audit trail of
 * changes made through the REST API. Users that existed before roles could do
 * everything, so they become administrators; new users default to viewer.
 */
export class RolesAndAudit1764300000000 implements MigrationInterface {
  name = 'RolesAndAudit1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE app_user ADD COLUMN role text NOT NULL DEFAULT 'viewer' CHECK (role IN ('admin', 'operator', 'viewer'))`);
    await queryRunner.query(`UPDATE app_user SET role = 'admin'`);
    await queryRunner.query(`
      CREATE TABLE audit_entry (
        id bigserial PRIMARY KEY,
        time bigint NOT NULL,
        username text NOT NULL,
        action text NOT NULL,
        target text,
        details jsonb NOT NULL DEFAULT '{}'
      )`);
    await queryRunner.query(`CREATE INDEX audit_entry_time ON audit_entry (time DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX audit_entry_user ON audit_entry (username, time DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_entry`);
    await queryRunner.query(`ALTER TABLE app_user DROP COLUMN role`);
  }
}
