import type { MigrationInterface, QueryRunner } from 'typeorm';

/** People who sign in to the web UI and REST API, and their sessions (tokens kept only as hashes). */
export class UsersAndSessions1764100000000 implements MigrationInterface {
  name = 'UsersAndSessions1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE app_user (
        id serial PRIMARY KEY,
        username text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        created_at bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE user_session (
        token_hash text PRIMARY KEY,
        user_id integer NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX user_session_expiry ON user_session (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_session`);
    await queryRunner.query(`DROP TABLE app_user`);
  }
}
