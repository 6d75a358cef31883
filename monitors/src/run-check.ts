import type { MonitorRegistry, PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { errorMessage } from './outcomes.ts';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';
import { attemptWithDeadline, MAX_TIMEOUT_MS } from './shared-deadline.ts';

/**
 * The parameters every monitor takes, because they are implemented here:
 * `timeout` (ms; else the poller's default), `retry` (extra attempts after a
 * DOWN, each with its full timeout) and `invert-status` (UP and DOWN swapped).
 */
export const COMMON_PARAMETERS = defineParameters({
  timeout: param.int({ min: 1, max: MAX_TIMEOUT_MS }),
  retry: param.int({ min: 0 }).default(0),
  'invert-status': param.boolean().default(false),
});

/** A service as the poller knows it: which monitor, where, with which parameters. */
export interface CheckedService {
  monitor: string;
  host: string;
  params: RawParams;
}

/** A service's parameters read once: what its monitor made of them, and the common ones. */
export interface CheckSettings<S = unknown> {
  readonly monitor: ServiceMonitor<S>;
  readonly settings: S;
  readonly timeoutMs: number;
  readonly retry: number;
  readonly invert: boolean;
}

/**
 * Reads a service's parameters for `monitor`: refuses a key that neither the
 * monitor nor this file knows, reads the common parameters, then the
 * monitor's own (`monitor.parse`). Throws a {@link ParameterError} naming the
 * parameter. The backend's configuration reader calls it for every service,
 * the poller once per service of each package it receives.
 */
export function parseCheckSettings<S>(
  monitor: ServiceMonitor<S>,
  params: RawParams,
  defaultTimeoutMs: number,
): CheckSettings<S> {
  for (const key of Object.keys(params)) {
    if (!COMMON_PARAMETERS.knows(key) && !monitor.parameters.knows(key)) {
      const known = [...COMMON_PARAMETERS.names, ...monitor.parameters.names].sort().join(', ');
      throw new ParameterError(`unknown parameter "${key}" for monitor ${monitor.name} (known: ${known})`, key);
    }
  }
  const common = COMMON_PARAMETERS.read(params);
  return {
    monitor,
    settings: monitor.parse(params),
    timeoutMs: common.timeout ?? defaultTimeoutMs,
    retry: common.retry,
    invert: common['invert-status'],
  };
}

/** A service ready to be checked again and again: its parameters were read once, when it was prepared. */
export interface PreparedCheck {
  /**
   * Runs one check, owning what all monitors share: the timeout and its
   * signal, `retry` and `invert-status`. Resolves, never rejects.
   */
  run(): Promise<PollOutcome>;
}

/**
 * Prepares checks: looks each service's monitor up and reads its parameters
 * now, once. Services with the same monitor and parameters (one service of a
 * package on each of its targets) share one reading, so a package of 100,000
 * services costs a few distinct parses. An unknown monitor or a bad parameter
 * gives a check that resolves UNKNOWN with the reason every time (a poller may
 * receive a package from a newer or foreign backend), without polling.
 */
export class CheckPreparer {
  readonly #monitors: MonitorRegistry;
  readonly #defaultTimeoutMs: number;
  /** By monitor and parameters: what they were read into, or why they could not be. */
  readonly #read = new Map<string, CheckSettings | string>();

  constructor(monitors: MonitorRegistry, defaultTimeoutMs: number) {
    this.#monitors = monitors;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  prepare(service: CheckedService): PreparedCheck {
    const key = `${service.monitor}\n${JSON.stringify(service.params)}`;
    let read = this.#read.get(key);
    if (read === undefined) {
      read = this.#readSettings(service);
      this.#read.set(key, read);
    }
    return typeof read === 'string' ? new UnknownCheck(read) : new ReadyCheck(read, service.host);
  }

  #readSettings(service: CheckedService): CheckSettings | string {
    const monitors = this.#monitors;
    const monitor = Object.hasOwn(monitors, service.monitor) ? monitors[service.monitor] : undefined;
    if (!monitor) return `unknown monitor "${service.monitor}"`;
    try {
      return parseCheckSettings(monitor, service.params, this.#defaultTimeoutMs);
    } catch (err) {
      // A misconfigured service says nothing about the service itself; anything else is a bug in the monitor.
      return err instanceof ParameterError ? err.message : `monitor error: ${errorMessage(err)}`;
    }
  }
}

/** Prepares the checks of one service; see {@link CheckPreparer}, which a poller uses for a whole package. */
export function prepareCheck(monitors: MonitorRegistry, service: CheckedService, defaultTimeoutMs: number): PreparedCheck {
  return new CheckPreparer(monitors, defaultTimeoutMs).prepare(service);
}

/**
 * Runs one check of a service: {@link prepareCheck} then run, for tests and
 * one-off checks. Pollers prepare once and run many times.
 */
export function runCheck(monitors: MonitorRegistry, service: CheckedService, defaultTimeoutMs: number): Promise<PollOutcome> {
  return prepareCheck(monitors, service, defaultTimeoutMs).run();
}

// Classes rather than closures: a poller holds one per service, and a closure costs several times the memory.

class ReadyCheck implements PreparedCheck {
  readonly #check: CheckSettings;
  // The host alone, not the whole target: the target is made for each run, so
  // a held check is two references.
  readonly #host: string;

  constructor(check: CheckSettings, host: string) {
    this.#check = check;
    this.#host = host;
  }

  run(): Promise<PollOutcome> {
    const check = this.#check;
    return runPrepared(check, { host: this.#host, settings: check.settings, timeoutMs: check.timeoutMs });
  }
}

class UnknownCheck implements PreparedCheck {
  constructor(private readonly reason: string) {}

  run(): Promise<PollOutcome> {
    // A new object each time: callers may add to the outcome they get.
    return Promise.resolve({ status: 'UNKNOWN', reason: this.reason });
  }
}

async function runPrepared(check: CheckSettings, target: PollTarget): Promise<PollOutcome> {
  let outcome = await attemptWithDeadline(check.monitor, target);
  for (let i = 0; i < check.retry && outcome.status === 'DOWN'; i++) {
    outcome = await attemptWithDeadline(check.monitor, target);
  }
  return check.invert ? invertOutcome(outcome) : outcome;
}

function invertOutcome(outcome: PollOutcome): PollOutcome {
  switch (outcome.status) {
    case 'UP':
      return { status: 'DOWN', reason: 'service responded while invert-status is set' };
    case 'DOWN':
      return { status: 'UP' };
    case 'UNKNOWN':
      return outcome;
  }
}
