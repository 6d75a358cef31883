import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Results keep the check's further measurements (HTTP phases, certificate days left). */
export class ResultDetails1763800000000 implements MigrationInterface {
  name = 'ResultDetails1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE poll_result ADD COLUMN details jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE poll_result DROP COLUMN details`);
  }
}
