import type { ServiceMonitor } from './monitor.ts';
import { httpMonitor } from './http.ts';
import { tcpMonitor } from './tcp.ts';

/** Every monitor this package provides, by the name services refer to it with. */
export const monitors = {
  tcp: tcpMonitor,
  http: httpMonitor,
} as const satisfies Record<string, ServiceMonitor>;

/** The name of a built-in monitor. */
export type MonitorName = keyof typeof monitors;

/** Monitors by name, as {@link runCheck} looks them up; tests pass their own. */
export type MonitorRegistry = Readonly<Record<string, ServiceMonitor>>;

export type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
export type { StatusRange } from './http.ts';
export type { CheckedService } from './run-check.ts';
export { runCheck } from './run-check.ts';
export { parseStatusRanges } from './http.ts';
