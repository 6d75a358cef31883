import type { MonitorRegistry } from './index.ts';
import type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { booleanParam, errorMessage, intParam, readParams } from './params.ts';

/** The largest delay a Node timer honours; beyond it the timer fires after 1 ms. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * How long past its timeout a monitor may take to resolve before it is
 * abandoned: one that ignores its signal must not stall the poller's schedule.
 */
const ABANDON_GRACE_MS = 1000;

/** A service as the poller knows it: which monitor, where, with which parameters. */
export interface CheckedService {
  monitor: string;
  host: string;
  params: Record<string, string>;
}

/**
 * Runs one check of a service, owning what all monitors share: the timeout
 * (`timeout` parameter in ms, else `defaultTimeoutMs`) and its signal, `retry`
 * (extra attempts after a DOWN, each with its full timeout) and
 * `invert-status` (UP and DOWN swapped). Resolves UNKNOWN for an unknown
 * monitor, a bad parameter or a monitor that breaks its contract; never rejects.
 */
export async function runCheck(
  monitors: MonitorRegistry,
  service: CheckedService,
  defaultTimeoutMs: number,
): Promise<PollOutcome> {
  const monitor = Object.hasOwn(monitors, service.monitor) ? monitors[service.monitor] : undefined;
  if (!monitor) return { status: 'UNKNOWN', reason: `unknown monitor "${service.monitor}"` };

  const parsed = readParams(() => ({
    timeoutMs: intParam(service.params, 'timeout', { min: 1, max: MAX_TIMEOUT_MS, default: defaultTimeoutMs }),
    retry: intParam(service.params, 'retry', { min: 0, default: 0 }),
    invert: booleanParam(service.params, 'invert-status', false),
  }));
  if (!parsed.ok) return parsed.outcome;
  const { timeoutMs, retry, invert } = parsed.value;

  const target: PollTarget = { host: service.host, params: service.params, timeoutMs };
  let outcome = await attempt(monitor, target);
  for (let i = 0; i < retry && outcome.status === 'DOWN'; i++) {
    outcome = await attempt(monitor, target);
  }
  return invert ? invertOutcome(outcome) : outcome;
}

async function attempt(monitor: ServiceMonitor, target: PollTarget): Promise<PollOutcome> {
  let abandonTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<PollOutcome>((resolve) => {
    abandonTimer = setTimeout(
      () => resolve({ status: 'UNKNOWN', reason: `monitor did not stop within ${ABANDON_GRACE_MS} ms of its timeout` }),
      Math.min(target.timeoutMs + ABANDON_GRACE_MS, MAX_TIMEOUT_MS),
    );
  });
  try {
    return await Promise.race([monitor.poll(target, AbortSignal.timeout(target.timeoutMs)), abandoned]);
  } catch (err) {
    return { status: 'UNKNOWN', reason: `monitor error: ${errorMessage(err)}` };
  } finally {
    clearTimeout(abandonTimer);
  }
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
