import type { ServiceStatus } from '@vantage/common';
import type { ParameterTable, RawParams } from './params.ts';

/** What a monitor is asked to check: a host and the service's settings, parsed once. */
export interface PollTarget<S = unknown> {
  /** Address or DNS name to check. */
  readonly host: string;
  /** What the monitor's {@link ServiceMonitor.parse} made of the service's parameters. */
  readonly settings: S;
  /**
   * The time this check may take, already resolved by the caller (the service's
   * `timeout` parameter, else the poller's default). The caller aborts `signal`
   * when it runs out; monitors use the figure only to word their reason.
   */
  readonly timeoutMs: number;
}

/**
 * Outcome of one check. A failed check is a result, not an exception:
 * DOWN when the service failed, UNKNOWN when the check could not run
 * (bad parameters, missing capability). Every DOWN and UNKNOWN has a reason
 * an operator can act on.
 */
export interface PollOutcome {
  status: ServiceStatus;
  responseTimeMs?: number;
  reason?: string;
  /**
   * Further measurements, by name with their unit in it: HTTP's phases
   * (`dnsMs`, `connectMs`, `tlsMs`, `firstByteMs`, `totalMs`), a certificate's
   * `daysLeft`. Reported with the result and kept with it.
   */
  details?: Record<string, number>;
}

/**
 * A service check, shared by the remote poller and the backend's local poller,
 * whose settings `S` are read from the service's parameters once (when the
 * configuration loads and when a poller receives its package), not at every poll.
 *
 * `parameters` declares what it reads; `parse` reads it and makes the
 * cross-checks (two parameters that go together, …), throwing a
 * `ParameterError` that names the parameter. Unknown keys and the parameters
 * every monitor shares (`timeout`, `retry`, `invert-status`) are run-check's.
 *
 * `poll` must honour `signal` (pass it to every socket and request) and must
 * resolve, never reject: a rejection is a bug in the monitor and is counted
 * apart by the caller. The signal is shared by the checks that started with
 * this one (see shared-deadline.ts) and outlives it: a listener the monitor
 * adds to it is removed once the check is decided (node:net and node:http
 * remove theirs when the socket closes).
 */
export interface ServiceMonitor<S = unknown> {
  readonly name: string;
  readonly parameters: ParameterTable<unknown>;
  parse(params: RawParams): S;
  poll(target: PollTarget<S>, signal: AbortSignal): Promise<PollOutcome>;
}

/** Monitors by name, as {@link prepareCheck} looks them up; tests pass their own. */
export type MonitorRegistry = Readonly<Record<string, ServiceMonitor>>;
