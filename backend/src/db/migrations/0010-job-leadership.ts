import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One leader per periodic job among the instances on a database: a lease row
 * per job naming the instance that holds it and until when (in the
 * database's clock). Another instance takes the job over once the lease
 * expired.
 */
export class JobLeadership1764224300000 implements MigrationInterface {
  name = 'JobLeadership1764224300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE job_leader (job text PRIMARY KEY, instance_id text NOT NULL, expires_at bigint NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE job_leader`);
  }
}
