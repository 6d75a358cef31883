import type { ServiceStatus } from '@vantage/common';

/** What a monitor is asked to check: a host and the service's parameters from the package. */
export interface PollTarget {
  /** Address or DNS name to check. */
  host: string;
  /** The service's `parameter key/value` pairs from the polling configuration. */
  params: Readonly<Record<string, string>>;
  /**
   * The time this check may take, already resolved by the caller (the service's
   * `timeout` parameter, else the poller's default). The caller aborts `signal`
   * when it runs out; monitors use the figure only to word their reason.
   */
  timeoutMs: number;
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
 * A service check, shared by the remote poller and the backend's local poller.
 * `poll` must honour `signal` (pass it to every socket and request) and must
 * resolve, never reject: a rejection is a bug in the monitor and is counted
 * apart by the caller.
 */
export interface ServiceMonitor {
  readonly name: string;
  poll(target: PollTarget, signal: AbortSignal): Promise<PollOutcome>;
}
