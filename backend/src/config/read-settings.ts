/** Reads `<poller-settings>`: what pollers are told, and the backend's disconnect timeout. */
import type { ElementReader } from './element-reader.ts';
import { DEFAULT_SETTINGS, type BackendPollerSettings } from './polling-config.ts';
import type { XmlElement } from './xml-tree.ts';

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function readPollerSettings(r: ElementReader, element: XmlElement): BackendPollerSettings {
  r.noChildren(element);
  const names = [
    'check-in-interval',
    'disconnect-timeout',
    'parallel-tasks',
    'default-timeout',
    'log-level',
    'spool-max-age',
    'spool-max-bytes',
  ];
  const [checkIn, disconnect, parallel, timeout, logLevel, spoolAge, spoolBytes] = r.attributes(element, [], names);
  const settings = { ...DEFAULT_SETTINGS };
  if (checkIn !== undefined) settings.checkInIntervalMs = r.positiveInt(element, 'check-in-interval', checkIn);
  settings.disconnectTimeoutMs =
    disconnect !== undefined ? r.positiveInt(element, 'disconnect-timeout', disconnect) : settings.checkInIntervalMs * 3;
  if (settings.disconnectTimeoutMs <= settings.checkInIntervalMs) {
    r.fail(element, `disconnect-timeout (${settings.disconnectTimeoutMs}) must be longer than check-in-interval (${settings.checkInIntervalMs})`);
  }
  if (parallel !== undefined) settings.parallelTasks = r.positiveInt(element, 'parallel-tasks', parallel, 'number');
  if (timeout !== undefined) settings.defaultTimeoutMs = r.positiveInt(element, 'default-timeout', timeout);
  if (logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      r.fail(element, `attribute log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    }
    settings.logLevel = logLevel as BackendPollerSettings['logLevel'];
  }
  if (spoolAge !== undefined) settings.spoolMaxAgeMs = r.positiveInt(element, 'spool-max-age', spoolAge);
  if (spoolBytes !== undefined) settings.spoolMaxBytes = r.positiveInt(element, 'spool-max-bytes', spoolBytes, 'number of bytes');
  return settings;
}
