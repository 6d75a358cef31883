/**
 * Registration tokens, kept in the database so an administrator can rotate
 * and revoke them (REST, web UI) and every backend sharing the database
 * agrees at once. Only a SHA-256 of each token is stored: a new token is
 * shown once, in the answer to its rotation.
 *
 * The configuration's `registration-token` seeds the table: a token the
 * database has never seen becomes the location's token (replacing any
 * other); one it has seen keeps its state, so a token an administrator
 * revoked stays revoked although the file still names it. Taking the
 * attribute out of the file revokes the token that came from it.
 */
import { randomBytes } from 'node:crypto';
import { Uei } from '@vantage/common';
import type { EventBus, NewEvent } from '@vantage/events';
import type { Logger } from '@vantage/runtime';
import { IsNull, type EntityManager } from 'typeorm';
import type { PollingConfig } from '../config/polling-config.ts';
import type { Database } from '../db/database.ts';
import { RegistrationTokenEntity, type RegistrationTokenRow } from '../db/entities.ts';
import type { EventRecorder } from '../event-store/event-recorder.ts';
import { hashSecret, secretMatches } from './secrets.ts';

/** `created_by` / `revoked_by` of what the configuration file did. */
export const BY_CONFIGURATION = 'configuration';

/** Random bytes in a rotated token: 256 bits, like monitor secrets. */
const TOKEN_BYTES = 32;

/** How a presented token compares with a location's tokens. */
export type TokenVerdict = 'accepted' | 'wrong' | 'revoked' | 'location-has-none';

export class RegistrationTokenStore {
  private syncing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly recorder: EventRecorder,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Brings the table in line with a configuration (at start and after each
   * reload). Runs one at a time; `settled()` waits for the last one.
   */
  syncWithConfiguration(config: PollingConfig): Promise<void> {
    const run = this.syncing.then(() => this.sync(config));
    // A failed sync is logged and does not block the next one; the caller of this one still sees it.
    this.syncing = run.catch((err: unknown) => this.log.error(`cannot record the configuration's registration tokens: ${(err as Error)?.stack ?? String(err)}`));
    return run;
  }

  /** Resolves once the configuration last given has been recorded (every read below waits for it). */
  settled(): Promise<void> {
    return this.syncing;
  }

  /** The locations that have a token now. */
  async locationsWithToken(): Promise<Set<string>> {
    await this.settled();
    const rows = await this.db.manager.find(RegistrationTokenEntity, { where: { revokedAt: IsNull() }, select: { location: true } });
    return new Set(rows.map((r) => r.location));
  }

  async active(location: string): Promise<RegistrationTokenRow | null> {
    await this.settled();
    return this.db.manager.findOneBy(RegistrationTokenEntity, { location, revokedAt: IsNull() });
  }

  async check(location: string, token: string): Promise<TokenVerdict> {
    await this.settled();
    const rows = await this.db.manager.findBy(RegistrationTokenEntity, { location });
    const match = rows.find((row) => secretMatches(token, row.tokenHash));
    if (match) return match.revokedAt === null ? 'accepted' : 'revoked';
    return rows.some((row) => row.revokedAt === null) ? 'wrong' : 'location-has-none';
  }

  /** Replaces the location's token with a new random one, which is returned (and not kept). */
  async rotate(location: string, by: string): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    await this.change(location, async (manager) => {
      const replaced = await this.revokeActive(manager, location, by);
      await manager.insert(RegistrationTokenEntity, { location, tokenHash: hashSecret(token), createdAt: this.now(), createdBy: by, revokedAt: null, revokedBy: null });
      return [this.event(Uei.registrationTokenRotated, location, { by, previous: replaced ? 'revoked' : 'none' })];
    });
    return token;
  }

  /** Revokes the location's token; false when it had none. */
  async revoke(location: string, by: string): Promise<boolean> {
    let revoked = false;
    await this.change(location, async (manager) => {
      revoked = await this.revokeActive(manager, location, by);
      return revoked ? [this.event(Uei.registrationTokenRevoked, location, { by })] : [];
    });
    return revoked;
  }

  private async sync(config: PollingConfig): Promise<void> {
    for (const location of config.locations.values()) {
      const configured = location.registrationToken;
      await this.change(location.name, async (manager) => {
        const rows = await manager.findBy(RegistrationTokenEntity, { location: location.name });
        const active = rows.find((r) => r.revokedAt === null);
        if (configured === undefined) {
          if (active?.createdBy !== BY_CONFIGURATION) return [];
          await this.revokeActive(manager, location.name, BY_CONFIGURATION);
          return [this.event(Uei.registrationTokenRevoked, location.name, { by: BY_CONFIGURATION })];
        }
        if (rows.some((r) => secretMatches(configured, r.tokenHash))) return [];
        const replaced = await this.revokeActive(manager, location.name, BY_CONFIGURATION);
        await manager.insert(RegistrationTokenEntity, {
          location: location.name,
          tokenHash: hashSecret(configured),
          createdAt: this.now(),
          createdBy: BY_CONFIGURATION,
          revokedAt: null,
          revokedBy: null,
        });
        // The very first token of a location is no rotation worth an event.
        return replaced ? [this.event(Uei.registrationTokenRotated, location.name, { by: BY_CONFIGURATION, previous: 'revoked' })] : [];
      });
    }
  }

  private async revokeActive(manager: EntityManager, location: string, by: string): Promise<boolean> {
    const result = await manager.update(RegistrationTokenEntity, { location, revokedAt: IsNull() }, { revokedAt: this.now(), revokedBy: by });
    return (result.affected ?? 0) > 0;
  }

  /**
   * One change to a location's tokens in a transaction, under a lock per
   * location: two rotations (or a rotation and a reload, on two backends)
   * take turns instead of both revoking the old token and both adding one.
   */
  private async change(location: string, work: (manager: EntityManager) => Promise<NewEvent[]>): Promise<void> {
    const stored = await this.db.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vantage.registration-token:${location}`]);
      return this.recorder.record(manager, await work(manager));
    });
    this.bus.publish(stored);
  }

  private event(uei: NewEvent['uei'], location: string, params: Record<string, string>): NewEvent {
    return { uei, time: this.now(), location, monitorId: null, params };
  }
}
