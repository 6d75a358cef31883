import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many services each monitor sees down, on its row: after every batch of
 * results the backend asks whether any monitor at another location could be
 * affected by it (one whose connectivity is lost, or one that sees at least
 * two services down, possibly all it polls), and most of the time none can.
 * With the count on the row that question is a look at a few rows of
 * location_monitor through a partial index, not a count over service_state.
 *
 * Triggers keep the count, so every writer of service_state (the ingest,
 * a rebalance handing states off, a monitor's deletion) keeps it right.
 * They fire only for a row that enters or leaves DOWN, and update the row of
 * a monitor that the writer holds locked already. The index predicate's 2 is
 * MIN_SERVICES_FOR_CONNECTIVITY (correlation/connectivity.ts): a query with
 * another bound would be right, only without this index.
 */
export class MonitorDownCount1764320000000 implements MigrationInterface {
  name = 'MonitorDownCount1764320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE location_monitor ADD COLUMN down_count integer NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `UPDATE location_monitor lm SET down_count = (SELECT count(*) FROM service_state s WHERE s.monitor_id = lm.id AND s.status = 'DOWN')`,
    );
    await queryRunner.query(`
      CREATE FUNCTION location_monitor_count_down() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'INSERT' AND OLD.status = 'DOWN' THEN
          UPDATE location_monitor SET down_count = down_count - 1 WHERE id = OLD.monitor_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status = 'DOWN' THEN
          UPDATE location_monitor SET down_count = down_count + 1 WHERE id = NEW.monitor_id;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER service_state_down_inserted AFTER INSERT ON service_state
        FOR EACH ROW WHEN (NEW.status = 'DOWN') EXECUTE FUNCTION location_monitor_count_down()`);
    await queryRunner.query(`
      CREATE TRIGGER service_state_down_deleted AFTER DELETE ON service_state
        FOR EACH ROW WHEN (OLD.status = 'DOWN') EXECUTE FUNCTION location_monitor_count_down()`);
    await queryRunner.query(`
      CREATE TRIGGER service_state_down_updated AFTER UPDATE OF status, monitor_id ON service_state
        FOR EACH ROW WHEN ((OLD.status = 'DOWN') IS DISTINCT FROM (NEW.status = 'DOWN') OR (OLD.status = 'DOWN' AND OLD.monitor_id <> NEW.monitor_id))
        EXECUTE FUNCTION location_monitor_count_down()`);
    await queryRunner.query(`CREATE INDEX location_monitor_watching ON location_monitor (location) WHERE connectivity_lost OR down_count >= 2`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX location_monitor_watching`);
    await queryRunner.query(`DROP TRIGGER service_state_down_updated ON service_state`);
    await queryRunner.query(`DROP TRIGGER service_state_down_deleted ON service_state`);
    await queryRunner.query(`DROP TRIGGER service_state_down_inserted ON service_state`);
    await queryRunner.query(`DROP FUNCTION location_monitor_count_down()`);
    await queryRunner.query(`ALTER TABLE location_monitor DROP COLUMN down_count`);
  }
}
