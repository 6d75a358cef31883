/**
 * Hints for pollers connected to any instance. An operator's action on one
 * instance (pause or resume: statusChanged; revoked credentials: close the
 * connections; a distribute location's new shares: configurationChanged)
 * concerns a poller that may be connected to another. This notifier sends
 * to the pollers connected here and, with other instances on the database,
 * NOTIFYs them too; each instance hands what it hears to its own pollers.
 * Hints stay best effort: a poller that misses one learns the same at its
 * next check-in.
 */
import { randomBytes } from 'node:crypto';
import type { NotificationName, NotificationParams } from '@vantage/common';
import { errorMessage, type Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import type { PollerNotifier } from '../location-monitors/location-monitor-service.ts';
import { MAX_NOTIFY_PAYLOAD_BYTES, type PgNotifications } from './pg-notifications.ts';

/** The channel of hints for pollers connected to other instances. */
export const POLLER_HINTS_CHANNEL = 'vantage_poller_hints';

type Hint =
  | { from: string; monitorId: string; kind: 'notify'; name: NotificationName; params: unknown }
  | { from: string; monitorId: string; kind: 'disconnect'; reason: string };

export class ClusterPollerHints implements PollerNotifier {
  /** Who sent a hint: this process hears its own NOTIFYs too, and has already acted on them. */
  private readonly origin = randomBytes(8).toString('hex');
  /** The NOTIFY last sent, so that the next waits for it. */
  private sending: Promise<unknown> = Promise.resolve();

  constructor(
    /** The pollers connected to this process. */
    private readonly local: PollerNotifier,
    private readonly db: Database,
    private readonly log: Logger,
  ) {}

  notify<N extends NotificationName>(monitorId: string, name: N, params: NotificationParams<N>): void {
    this.local.notify(monitorId, name, params);
    this.publish({ from: this.origin, monitorId, kind: 'notify', name, params });
  }

  disconnect(monitorId: string, reason: string): void {
    this.local.disconnect(monitorId, reason);
    this.publish({ from: this.origin, monitorId, kind: 'disconnect', reason });
  }

  /** Hands the hints of other instances to the pollers connected here; returns the function that stops. */
  attach(listen: PgNotifications): () => void {
    return listen.subscribe(POLLER_HINTS_CHANNEL, (payload) => this.received(payload));
  }

  private publish(hint: Hint): void {
    const payload = JSON.stringify(hint);
    if (Buffer.byteLength(payload) > MAX_NOTIFY_PAYLOAD_BYTES) {
      this.log.warn(`a ${hint.kind} hint for monitor ${hint.monitorId} is too long to send to other instances; its poller learns it at its next check-in`);
      return;
    }
    // One after another: on pooled connections two NOTIFYs could commit, and so arrive, in the other order.
    this.sending = this.sending
      .then(() => this.db.manager.query(`SELECT pg_notify($1, $2)`, [POLLER_HINTS_CHANNEL, payload]))
      .catch((err: unknown) => this.log.warn(`cannot send a ${hint.kind} hint for monitor ${hint.monitorId} to other instances (its poller learns it at its next check-in): ${errorMessage(err)}`));
  }

  private received(payload: string): void {
    let hint: Hint;
    try {
      hint = JSON.parse(payload) as Hint;
      if (typeof hint?.from !== 'string' || typeof hint.monitorId !== 'string') throw new Error('no sender or monitor');
    } catch (err) {
      this.log.warn(`ignoring a malformed poller hint from another instance: ${errorMessage(err)}`);
      return;
    }
    if (hint.from === this.origin) return;
    if (hint.kind === 'notify') this.local.notify(hint.monitorId, hint.name, hint.params as NotificationParams<typeof hint.name>);
    else if (hint.kind === 'disconnect') this.local.disconnect(hint.monitorId, String(hint.reason));
  }
}
