import type { ServiceMonitor } from './monitor.ts';
import { dnsMonitor } from './dns.ts';
import { ftpMonitor } from './ftp.ts';
import { httpMonitor, httpsMonitor } from './http.ts';
import { icmpMonitor } from './icmp.ts';
import { imapMonitor } from './imap.ts';
import { pop3Monitor } from './pop3.ts';
import { postgresMonitor } from './postgres.ts';
import { smtpMonitor } from './smtp.ts';
import { sshMonitor } from './ssh.ts';
import { sslCertMonitor } from './ssl-cert.ts';
import { tcpMonitor } from './tcp.ts';

/** Every monitor this package provides, by the name services refer to it with (`<monitor type="…">`). */
export const monitors = {
  icmp: icmpMonitor,
  tcp: tcpMonitor,
  http: httpMonitor,
  https: httpsMonitor,
  dns: dnsMonitor,
  'ssl-cert': sslCertMonitor,
  postgres: postgresMonitor,
  smtp: smtpMonitor,
  ssh: sshMonitor,
  ftp: ftpMonitor,
  imap: imapMonitor,
  pop3: pop3Monitor,
} as const satisfies Record<string, ServiceMonitor>;

/** The name of a built-in monitor. */
export type MonitorName = keyof typeof monitors;


export type { MonitorRegistry, PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
export type { HttpPhases, StatusRange } from './http.ts';
export type { CheckSettings, CheckedService, PreparedCheck } from './run-check.ts';
export type { ParameterTable, RawParams } from './params.ts';
export { CheckPreparer, parseCheckSettings, prepareCheck, runCheck } from './run-check.ts';
export { ParameterError, defineParameters, param } from './params.ts';
export { parseStatusRanges } from './http.ts';
