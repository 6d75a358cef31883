import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notification claims with an owner and an expiry: the instance that claimed
 * a notification, until when its lease holds, and which lease it is (a claim
 * taken over gets the next number, so the former holder's outcome no longer
 * matches). Claims made before this migration have no owner: they count as
 * expired and are taken over.
 */
export class NotificationLeases1764224200000 implements MigrationInterface {
  name = 'NotificationLeases1764224200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE notification ADD COLUMN claimed_by text, ADD COLUMN lease_expires_at bigint, ADD COLUMN lease_seq integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`UPDATE notification SET lease_expires_at = 0 WHERE state = 'inflight'`);
    // Claiming looks for expired leases beside due pending rows.
    await queryRunner.query(`CREATE INDEX notification_lease ON notification (lease_expires_at) WHERE state = 'inflight'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX notification_lease`);
    await queryRunner.query(`ALTER TABLE notification DROP COLUMN lease_seq, DROP COLUMN lease_expires_at, DROP COLUMN claimed_by`);
  }
}
