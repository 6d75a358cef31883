import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The services each monitor sees down, by service: after every batch of
 * results the backend looks for monitors at other locations that see one of
 * its services down (their connectivity is re-evaluated). Few services are
 * down at a time, so the index stays small.
 */
export class ServiceStateDownIndex1764310000000 implements MigrationInterface {
  name = 'ServiceStateDownIndex1764310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX service_state_down ON service_state (service_id) WHERE status = 'DOWN'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX service_state_down`);
  }
}
