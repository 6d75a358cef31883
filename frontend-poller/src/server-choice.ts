/**
 * Which backend a poller talks to, with ELM's home/standby semantics (seed
 * 004): the first server listed is home. When home has been unreachable for
 * `switchoverAfterMs` (ELM's HomeELMServerCacheDuration), the poller switches
 * over to the next server that answers; while on a standby it tries home every
 * `switchbackIntervalMs` (HomeELMServerRetryInterval) and switches back when
 * home answers. When none answers (a blackout) the poller keeps polling and
 * spooling, and keeps trying. Pure logic on a clock: the poller reports what
 * happened, this says what to try next.
 */
export type ServerRole = 'home' | 'standby';

/** What a connection to a server meant: the first one, a switch over to a standby, or back home. */
export type Arrival = 'first' | 'switchover' | 'switchback' | 'reconnect';

export interface ServerChoiceOptions {
  servers: readonly string[];
  switchoverAfterMs: number;
  switchbackIntervalMs: number;
  now: () => number;
}

export class ServerChoice {
  private readonly servers: readonly string[];
  /** The server of the session in force, or of the last one. */
  private activeIndex: number | undefined;
  /** The server the next connection attempt goes to. */
  private nextIndex = 0;
  /** When home stopped answering (undefined while it answers, or before any attempt). */
  private homeUnreachableSince: number | undefined;
  private lastHomeProbeAt = 0;
  private previousServer: string | undefined;

  constructor(private readonly options: ServerChoiceOptions) {
    if (options.servers.length === 0) throw new Error('at least one server is needed');
    this.servers = options.servers;
  }

  get home(): string {
    return this.servers[0]!;
  }

  /** The server to try now. */
  target(): { url: string; role: ServerRole; index: number } {
    return { url: this.servers[this.nextIndex]!, role: this.nextIndex === 0 ? 'home' : 'standby', index: this.nextIndex };
  }

  /** The server of the current (or last) session. */
  active(): { url: string; role: ServerRole } | undefined {
    if (this.activeIndex === undefined) return undefined;
    return { url: this.servers[this.activeIndex]!, role: this.activeIndex === 0 ? 'home' : 'standby' };
  }

  /**
   * A connection to `target()` failed: which one to try next. Home is tried
   * again and again until it has been away for `switchoverAfterMs`; then the
   * standbys in order, and home once per round after the last of them, which
   * is also how a blackout goes round.
   */
  failed(): void {
    const now = this.options.now();
    if (this.nextIndex === 0) {
      this.homeUnreachableSince ??= now;
      if (this.servers.length > 1 && now - this.homeUnreachableSince >= this.options.switchoverAfterMs) this.nextIndex = 1;
      return;
    }
    this.nextIndex = (this.nextIndex + 1) % this.servers.length;
  }

  /** A connection to `target()` worked: it becomes the active server. Says what kind of arrival it was. */
  connected(): Arrival {
    const index = this.nextIndex;
    const previous = this.activeIndex;
    this.activeIndex = index;
    if (index === 0) {
      this.homeUnreachableSince = undefined;
    } else {
      this.lastHomeProbeAt = this.options.now();
    }
    if (previous === undefined) return 'first';
    this.previousServer = this.servers[previous];
    if (previous === index) return 'reconnect';
    return index === 0 ? 'switchback' : 'switchover';
  }

  /** The server the poller came from at the last switch, for the backend's event. */
  get switchedFrom(): string | undefined {
    return this.previousServer;
  }

  /** The session in force ended (the server went away): try the same server first, as the rules say. */
  disconnected(): void {
    if (this.activeIndex === undefined) return;
    this.nextIndex = this.activeIndex;
    if (this.activeIndex === 0) this.homeUnreachableSince ??= this.options.now();
  }

  /** While on a standby: whether it is time to see if home answers again. */
  homeProbeDue(): boolean {
    if (this.activeIndex === undefined || this.activeIndex === 0) return false;
    return this.options.now() - this.lastHomeProbeAt >= this.options.switchbackIntervalMs;
  }

  /** The result of a probe of home: when it answered, the next connection goes home. */
  homeProbed(answered: boolean): void {
    this.lastHomeProbeAt = this.options.now();
    if (answered) this.nextIndex = 0;
  }

  /** Whether the next connection should leave the active server (home answered a probe). */
  get switchBackPending(): boolean {
    return this.activeIndex !== undefined && this.activeIndex !== 0 && this.nextIndex === 0;
  }
}

/**
 * Reads `--server` (repeatable) and `--servers A,B,…` into one ordered list.
 * Every entry must be a ws://, wss://, http:// or https:// URL; a malformed
 * list is refused, never silently cut.
 */
export function parseServerList(serverOptions: readonly string[], serversOption: string | undefined): string[] {
  const out: string[] = [];
  const add = (value: string, from: string) => {
    const text = value.trim();
    if (text === '') throw new Error(`${from} has an empty entry`);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`${from}: "${text}" is not a URL; expected ws://HOST:8980/rpc or wss://HOST:8980/rpc`);
    }
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol)) {
      throw new Error(`${from}: "${text}" must start with ws://, wss://, http:// or https://`);
    }
    if (text.includes(',')) throw new Error(`${from}: "${text}" holds a comma; list several servers with --servers A,B or by repeating --server`);
    if (out.includes(url.href)) throw new Error(`${from}: ${url.href} is listed twice`);
    out.push(url.href);
  };
  for (const value of serverOptions) add(value, '--server');
  if (serversOption !== undefined) {
    for (const value of serversOption.split(',')) add(value, '--servers');
  }
  if (out.length === 0) throw new Error('missing --server (or --servers A,B,…)');
  return out;
}
