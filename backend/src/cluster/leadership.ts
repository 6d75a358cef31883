/**
 * One leader per periodic job among the instances on one database (the
 * disconnect sweep, the response-time rollup and retention, the cleared-alarm
 * clean-up): each job has a lease row in `job_leader` naming its holder and
 * until when, in the database's clock. Every instance is a candidate for
 * every job: each {@link LEADER_RENEW_EVERY_MS} it renews the leases it holds
 * and takes those that expired, in one statement per job, so two instances
 * never hold one lease at once. A holder counts itself leader only until
 * its lease would run out as measured from before it asked for it, less a
 * margin: an instance that cannot reach the database stops leading before
 * another can take over. A clean stop gives the leases up at once; a killed
 * leader's jobs are taken over within {@link LEADER_TAKEOVER_BOUND_MS}.
 *
 * On the embedded PGlite the one instance takes every lease at its first try.
 */
import { PeriodicTask, errorMessage, type Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import { DB_NOW_MS } from './db-time.ts';

/** How long a lease holds after each renewal. */
export const LEADER_LEASE_MS = 6_000;
/** How often an instance renews its leases and tries to take the free ones. */
export const LEADER_RENEW_EVERY_MS = 2_000;
/** A holder stops counting itself leader this much before its lease runs out (clock rates, a slow answer). */
const LEADER_SAFETY_MARGIN_MS = 1_000;
/** A dead leader's lease runs out within LEADER_LEASE_MS of its last renewal, and another instance tries within LEADER_RENEW_EVERY_MS after that. */
export const LEADER_TAKEOVER_BOUND_MS = LEADER_LEASE_MS + LEADER_RENEW_EVERY_MS;

/** The periodic jobs that run on one instance at a time. */
export const LeaderJob = {
  disconnectSweep: 'disconnect-sweep',
  responseTimeRollup: 'response-time-rollup',
  clearedAlarmCleanup: 'cleared-alarm-cleanup',
} as const;
export type LeaderJob = (typeof LeaderJob)[keyof typeof LeaderJob];

export interface LeadershipOptions {
  leaseMs?: number;
  renewEveryMs?: number;
  /** The embedded database: only this process can be using it, so a lease of any other holder (a process that died) is void at once. */
  exclusive?: boolean;
}

export class Leadership {
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  /** Job → until when (performance.now()) this instance may act as its leader. */
  private readonly held = new Map<LeaderJob, number>();
  private readonly task: PeriodicTask;

  constructor(
    private readonly db: Database,
    private readonly instanceId: string,
    private readonly jobs: readonly LeaderJob[],
    private readonly log: Logger,
    options: LeadershipOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? LEADER_LEASE_MS;
    this.renewEveryMs = options.renewEveryMs ?? LEADER_RENEW_EVERY_MS;
    if (!(this.leaseMs > this.renewEveryMs + LEADER_SAFETY_MARGIN_MS)) {
      throw new RangeError(`the leader lease (${this.leaseMs} ms) must be longer than its renewal interval (${this.renewEveryMs} ms) plus ${LEADER_SAFETY_MARGIN_MS} ms`);
    }
    this.task = new PeriodicTask('leader election', this.renewEveryMs, () => this.renew(), log);
    this.exclusive = options.exclusive ?? false;
  }

  private readonly exclusive: boolean;

  /** Takes the free leases at once, then keeps renewing. */
  async start(): Promise<void> {
    if (this.exclusive) await this.db.transaction((manager) => manager.query(`DELETE FROM job_leader WHERE instance_id <> $1`, [this.instanceId]));
    await this.renew().catch((err: unknown) => this.log.error(`leader election failed: ${errorMessage(err)}`));
    this.task.start();
  }

  /** True while this instance holds the job's lease. */
  leads(job: LeaderJob): boolean {
    const until = this.held.get(job);
    return until !== undefined && performance.now() < until;
  }

  /** The jobs this instance leads now. */
  roles(): LeaderJob[] {
    return this.jobs.filter((job) => this.leads(job));
  }

  /** Every job this instance takes part in electing, and whether it leads it now (the metrics' leader roles). */
  entries(): [LeaderJob, boolean][] {
    return this.jobs.map((job) => [job, this.leads(job)]);
  }

  /** `work` made to run only on the job's leader (elsewhere it does nothing). */
  whenLeading<T>(job: LeaderJob, work: () => Promise<T>): () => Promise<T | undefined> {
    return async () => (this.leads(job) ? work() : undefined);
  }

  /** Stops renewing and gives every lease up, so another instance takes the jobs over at its next try. */
  async stop(): Promise<void> {
    await this.task.stop();
    this.held.clear();
    await this.db
      .transaction((manager) => manager.query(`DELETE FROM job_leader WHERE instance_id = $1`, [this.instanceId]))
      .catch((err: unknown) => this.log.warn(`cannot give up the leader leases (they expire within ${this.leaseMs} ms): ${errorMessage(err)}`));
  }

  /** One round: for each job, renew the lease or take it when expired; it is ours when the statement returns a row. */
  private async renew(): Promise<void> {
    for (const job of this.jobs) {
      const askedAt = performance.now();
      let ours: boolean;
      try {
        const rows = (await this.db.transaction((manager) =>
          manager.query(
            `WITH taken AS (
               INSERT INTO job_leader (job, instance_id, expires_at) VALUES ($1, $2, ${DB_NOW_MS} + $3)
               ON CONFLICT (job) DO UPDATE SET instance_id = EXCLUDED.instance_id, expires_at = EXCLUDED.expires_at
                 WHERE job_leader.instance_id = EXCLUDED.instance_id OR job_leader.expires_at < ${DB_NOW_MS}
               RETURNING job)
             SELECT job FROM taken`,
            [job, this.instanceId, this.leaseMs],
          ),
        )) as unknown[];
        ours = rows.length > 0;
      } catch (err) {
        // Unknown whether it was renewed: keep counting on what is held (it runs out on its own), and try again next round.
        this.log.error(`cannot renew or take the lease of the ${job} job: ${errorMessage(err)}`);
        continue;
      }
      const was = this.leads(job);
      if (ours) {
        this.held.set(job, askedAt + this.leaseMs - LEADER_SAFETY_MARGIN_MS);
        if (!was) this.log.info(`this instance now leads the ${job} job`);
      } else {
        this.held.delete(job);
        if (was) this.log.warn(`this instance no longer leads the ${job} job: another instance took its lease`);
      }
    }
  }
}
