import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The polling configuration in force, shared by the instances on a database:
 * its text as last loaded from a file by any instance, its digest, and a
 * revision counted up at every change. One row.
 */
export class ConfigurationInForce1764224400000 implements MigrationInterface {
  name = 'ConfigurationInForce1764224400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE configuration_in_force (id smallint PRIMARY KEY CHECK (id = 1), text text NOT NULL, digest text NOT NULL, revision bigint NOT NULL, stored_at bigint NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE configuration_in_force`);
  }
}
