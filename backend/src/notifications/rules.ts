/**
 * Where notifications go: the sinks (a webhook, an SMTP relay) and the rules
 * that pick, for each stored event, the sinks that should hear about it.
 */
import { SEVERITIES, type Severity, type StoredEvent } from '@vantage/events';

/** POSTs each event as JSON to `url`. */
export interface WebhookSinkConfig {
  name: string;
  type: 'webhook';
  url: string;
  /** Sent with every request, e.g. `Authorization`; they override the default `Content-Type`. */
  headers: Record<string, string>;
  /** Per request, connecting and reading the response included. */
  timeoutMs: number;
}

/** Mails each event through an SMTP server. */
export interface EmailSinkConfig {
  name: string;
  type: 'email';
  smtpHost: string;
  smtpPort: number;
  /** TLS from the start (port 465); otherwise STARTTLS is used when the server offers it. */
  secure: boolean;
  /** Logs in only when `user` is set. */
  user?: string;
  password?: string;
  from: string;
  to: string[];
}

export type NotificationSinkConfig = WebhookSinkConfig | EmailSinkConfig;

export interface NotificationRule {
  name: string;
  /** Exact UEIs, or prefixes ending in `*` (`uei.opennms.org/remote/*`; `*` alone matches every event). */
  ueis: string[];
  /** Only events of this severity or worse (see {@link SEVERITIES} for the order). */
  minSeverity?: Severity;
  /**
   * Only events from these locations; absent or empty means every location.
   * An event of no single location (an application's) does not pass a location filter.
   */
  locations?: string[];
  /** Names of the sinks that get the matching events. */
  sinks: string[];
}

/** Position in the severity order: Indeterminate 0 … Critical 6. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Whether `uei` is `pattern`, or starts with it when `pattern` ends in `*`. */
export function ueiMatches(pattern: string, uei: string): boolean {
  return pattern.endsWith('*') ? uei.startsWith(pattern.slice(0, -1)) : uei === pattern;
}

export function ruleMatches(rule: NotificationRule, event: StoredEvent): boolean {
  if (!rule.ueis.some((pattern) => ueiMatches(pattern, event.uei))) return false;
  if (rule.minSeverity !== undefined && severityRank(event.severity) < severityRank(rule.minSeverity)) return false;
  if (rule.locations !== undefined && rule.locations.length > 0 && (event.location === null || !rule.locations.includes(event.location))) {
    return false;
  }
  return true;
}

/** The sinks `event` goes to: every matching rule's, each name once, in the order first named. */
export function matchingSinks(rules: readonly NotificationRule[], event: StoredEvent): string[] {
  const sinks = new Set<string>();
  for (const rule of rules) {
    if (!ruleMatches(rule, event)) continue;
    for (const sink of rule.sinks) sinks.add(sink);
  }
  return [...sinks];
}

/**
 * Mistakes in a sink and rule set, one sentence each (empty when it is sound):
 * duplicate sink names, rules naming sinks that do not exist, unknown severities,
 * e-mail sinks without recipients, webhook URLs that are not http(s).
 */
export function notificationConfigProblems(sinks: readonly NotificationSinkConfig[], rules: readonly NotificationRule[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const sink of sinks) {
    if (names.has(sink.name)) problems.push(`duplicate notification sink "${sink.name}"`);
    names.add(sink.name);
    if (sink.type === 'webhook') {
      let protocol: string | undefined;
      try {
        protocol = new URL(sink.url).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol !== 'http:' && protocol !== 'https:') problems.push(`notification sink "${sink.name}": url "${sink.url}" is not an http or https URL`);
      if (!(sink.timeoutMs > 0)) problems.push(`notification sink "${sink.name}": timeoutMs must be positive`);
    } else {
      if (sink.to.length === 0) problems.push(`notification sink "${sink.name}": no recipients`);
      if (!Number.isInteger(sink.smtpPort) || sink.smtpPort < 1 || sink.smtpPort > 65535) {
        problems.push(`notification sink "${sink.name}": smtpPort ${sink.smtpPort} is not a port number`);
      }
    }
  }
  for (const rule of rules) {
    for (const sink of rule.sinks) {
      if (!names.has(sink)) problems.push(`notification rule "${rule.name}": no sink named "${sink}"`);
    }
    if (rule.minSeverity !== undefined && !SEVERITIES.includes(rule.minSeverity)) {
      problems.push(`notification rule "${rule.name}": unknown severity "${String(rule.minSeverity)}"`);
    }
  }
  return problems;
}
