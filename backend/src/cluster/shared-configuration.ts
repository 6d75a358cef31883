/**
 * The polling configuration in force, the same on every instance of one
 * database. Whoever loads the configuration file (at its start, on a change
 * of the file, or on POST /api/config/reload) stores its text here and, when
 * the text changed, NOTIFYs the others in the same transaction; each of them
 * reads the row as it is then and puts that text in force (parsed with its
 * own variables), so the last stored text wins everywhere, and an instance
 * that missed notifications while its LISTEN connection was down catches up
 * when it listens again. Package versions are digests of what a location
 * polls, so the same text gives the same versions on every instance.
 *
 * On the embedded PGlite there is one instance: the row is kept the same way,
 * and nobody listens.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import type { PgNotifications } from './pg-notifications.ts';

/** The channel on which an instance says it stored a new configuration (payload: its revision). */
export const CONFIGURATION_CHANNEL = 'vantage_configuration';

export interface StoredConfiguration {
  text: string;
  digest: string;
  revision: number;
}

/** What identifies a configuration's text: the same bytes, the same digest on every instance. */
export function configurationDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class SharedConfiguration {
  constructor(
    private readonly db: Database,
    /** Whether other instances may be listening (PostgreSQL): only then is a NOTIFY sent. */
    private readonly notifies: boolean,
  ) {}

  /** Stores `text` as the configuration in force; returns its revision when it changed, undefined when it was already the one stored. */
  async store(text: string): Promise<number | undefined> {
    const digest = configurationDigest(text);
    return this.db.transaction(async (manager) => {
      const rows = (await manager.query(
        `WITH stored AS (
           INSERT INTO configuration_in_force (id, text, digest, revision, stored_at) VALUES (1, $1, $2, 1, $3)
           ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, digest = EXCLUDED.digest, revision = configuration_in_force.revision + 1, stored_at = EXCLUDED.stored_at
             WHERE configuration_in_force.digest <> EXCLUDED.digest
           RETURNING revision)
         SELECT revision FROM stored`,
        [text, digest, Date.now()],
      )) as { revision: string | number }[];
      const revision = rows[0] ? Number(rows[0].revision) : undefined;
      // Delivered at commit, so whoever hears it reads this text.
      if (revision !== undefined && this.notifies) await manager.query(`SELECT pg_notify($1, $2)`, [CONFIGURATION_CHANNEL, String(revision)]);
      return revision;
    });
  }

  /** The configuration in force as stored, if any instance stored one. */
  async current(): Promise<StoredConfiguration | undefined> {
    const [row] = (await this.db.manager.query(`SELECT text, digest, revision FROM configuration_in_force WHERE id = 1`)) as { text: string; digest: string; revision: string | number }[];
    return row ? { text: row.text, digest: row.digest, revision: Number(row.revision) } : undefined;
  }

  /**
   * Calls `apply` with the stored configuration each time another instance
   * says it stored one, and each time the LISTEN connection (re)starts (one
   * may have been missed). Calls run one after another; `apply` compares
   * the digest with the one in force. Returns the function that stops.
   */
  follow(listen: PgNotifications, apply: (stored: StoredConfiguration) => Promise<unknown>, log: Logger): () => void {
    let queue: Promise<unknown> = Promise.resolve();
    const check = (why: string) => {
      queue = queue
        .then(async () => {
          const stored = await this.current();
          if (stored) await apply(stored);
        })
        .catch((err: unknown) => log.error(`cannot put the stored configuration in force (${why}): ${(err as Error)?.stack ?? String(err)}`));
    };
    return listen.subscribe(
      CONFIGURATION_CHANNEL,
      (payload) => check(`another instance stored revision ${JSON.stringify(payload.slice(0, 40))}`),
      () => check('listening again'),
    );
  }
}
