import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The backend instances serving this database, each renewing its heartbeat,
 * and the poller connections each holds open: so every instance shows the
 * same monitors connected, and the connections of an instance that died
 * expire with its heartbeat (deleting the instance deletes them).
 */
export class InstancesAndPollerConnections1764224100000 implements MigrationInterface {
  name = 'InstancesAndPollerConnections1764224100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE instance (
        id text PRIMARY KEY,
        host text NOT NULL,
        port integer NOT NULL,
        started_at bigint NOT NULL,
        heartbeat_at bigint NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE poller_connection (
        id text PRIMARY KEY,
        monitor_id text NOT NULL,
        instance_id text NOT NULL REFERENCES instance (id) ON DELETE CASCADE,
        connected_since bigint NOT NULL,
        transport text NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX poller_connection_monitor ON poller_connection (monitor_id)`);
    await queryRunner.query(`CREATE INDEX poller_connection_instance ON poller_connection (instance_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE poller_connection`);
    await queryRunner.query(`DROP TABLE instance`);
  }
}
