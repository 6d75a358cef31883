/**
 * PostgreSQL LISTEN/NOTIFY for the instances of one installation: one
 * dedicated connection per process (a pooled one would be handed back and
 * stop listening), `subscribe(channel, handler)` for any number of channels,
 * and on a lost connection a reconnect with the runtime's backoff that
 * listens to every channel again and tells each subscriber, who may have
 * missed notifications meanwhile and catches up its own way. Subscribers
 * hear that a connection listens before any notification it brings.
 *
 * Only for PostgreSQL: on the embedded PGlite there is one process, and the
 * local event bus is the whole story.
 */
import { Backoff, WakeableSleep, type BackoffOptions, type Logger } from '@vantage/runtime';
import type pg from 'pg';

/** Reconnection after a lost LISTEN connection: 0.5 s doubling to 10 s. */
export const LISTEN_RECONNECT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };

/** How long opening the connection may take before it counts as failed (and is tried again). */
export const LISTEN_CONNECT_TIMEOUT_MS = 10_000;

/** PostgreSQL limits a NOTIFY payload to 8000 bytes (less than that is safe with every server build). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7_900;

export type NotificationHandler = (payload: string) => void;

interface Subscription {
  handler: NotificationHandler;
  /** Called each time LISTEN is in place for the channel: after the first connection and after every reconnection. */
  onListening?: () => void;
}

export class PgNotifications {
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly backoff = new Backoff(LISTEN_RECONNECT_BACKOFF);
  private readonly pause = new WakeableSleep();
  private client: pg.Client | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {}

  /** Connects and keeps the connection, in the background; never throws (failures are logged and retried). */
  start(): void {
    this.running ??= this.run();
  }

  /**
   * Calls `handler` with the payload of every notification on `channel`, and
   * `onListening` each time the channel is listened to (again). Returns the
   * unsubscribe function.
   */
  subscribe(channel: string, handler: NotificationHandler, onListening?: () => void): () => void {
    const subscription: Subscription = { handler, onListening };
    let set = this.channels.get(channel);
    if (!set) {
      this.channels.set(channel, (set = new Set()));
      const client = this.client;
      if (client) {
        client.query(`LISTEN ${quoteIdentifier(channel)}`).then(
          () => subscription.onListening?.(),
          (err: unknown) => this.log.warn(`cannot LISTEN on ${channel}: ${errorText(err)} (listening again after the reconnection)`),
        );
      }
    } else if (this.client) {
      queueMicrotask(() => subscription.onListening?.());
    }
    set.add(subscription);
    return () => {
      set.delete(subscription);
      if (set.size === 0 && this.channels.get(channel) === set) {
        this.channels.delete(channel);
        this.client?.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch((err: unknown) => this.log.debug(`UNLISTEN ${channel}: ${errorText(err)}`));
      }
    };
  }

  /** True while the connection is up and listening. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pause.wake();
    await this.client?.end().catch(() => undefined);
    await this.running;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      // Loaded here, not at the top: the embedded database's start never needs it.
      const { default: nodePostgres } = await import('pg');
      const client = new nodePostgres.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: LISTEN_CONNECT_TIMEOUT_MS });
      // Attached before connecting: an 'error' without a listener would end the process.
      const lost = new Promise<string>((resolve) => {
        client.on('error', (err) => resolve(errorText(err)));
        client.on('end', () => resolve('the connection ended'));
      });
      // Held until the subscribers were told the connection listens: a catch-up must start from what came before it.
      let told = false;
      const early: pg.Notification[] = [];
      client.on('notification', (message) => (told ? this.dispatch(message.channel, message.payload ?? '') : early.push(message)));
      try {
        await client.connect();
        for (const channel of this.channels.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
        if (this.closed) break;
        this.client = client;
        if (this.backoff.consecutiveFailures > 0) this.log.info('the LISTEN connection to PostgreSQL is back');
        this.backoff.reset();
        for (const set of this.channels.values()) for (const subscription of set) this.listened(subscription);
        told = true;
        for (const message of early.splice(0)) this.dispatch(message.channel, message.payload ?? '');
        const why = await lost;
        if (!this.closed) this.log.warn(`the LISTEN connection to PostgreSQL was lost (${why}); reconnecting`);
      } catch (err) {
        if (!this.closed) this.log.warn(`cannot open the LISTEN connection to PostgreSQL: ${errorText(err)}`);
      } finally {
        this.client = undefined;
        await client.end().catch(() => undefined);
      }
      if (this.closed) break;
      await this.pause.sleep(this.backoff.next());
    }
  }

  private listened(subscription: Subscription): void {
    try {
      subscription.onListening?.();
    } catch (err) {
      this.log.error(`a LISTEN subscriber failed when the channel was listened to: ${errorText(err)}`);
    }
  }

  private dispatch(channel: string, payload: string): void {
    for (const subscription of this.channels.get(channel) ?? []) {
      try {
        subscription.handler(payload);
      } catch (err) {
        this.log.error(`a handler of notifications on ${channel} failed: ${errorText(err)}`);
      }
    }
  }
}

/** A channel name as an SQL identifier (LISTEN takes no parameters). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
