/**
 * Parses and strictly validates `polling-config.xml`. Every mistake is a
 * ConfigError naming the file, the line, the element and the problem; the
 * first one found is reported. Unknown elements and attributes are mistakes.
 *
 * This file reads the root element and hands each child to its reader
 * (`read-*.ts`, one kind of element each); `cross-check.ts` then checks what
 * needs the whole file.
 */
import type { MonitorRegistry } from '@vantage/monitors';
import { ConfigError } from './config-error.ts';
import { crossCheck } from './cross-check.ts';
import { ElementReader } from './element-reader.ts';
import { DEFAULT_SETTINGS, type PollingConfig } from './polling-config.ts';
import { readApplication, readLocation } from './read-locations.ts';
import { readEmail, readNotificationRule, readWebhook } from './read-notifications.ts';
import { readOutage } from './read-outages.ts';
import { readPackage } from './read-packages.ts';
import { readPollerSettings } from './read-settings.ts';
import { parseXml, XmlSyntaxError, type XmlElement } from './xml-tree.ts';

export interface ParseOptions {
  /** Shown in error messages. */
  fileName: string;
  /**
   * The monitors pollers run, by type: a `<monitor type>` outside them is
   * refused, and every service's parameters must parse for its monitor.
   */
  monitors: MonitorRegistry;
  /** Values for `${name}` placeholders in parameter values, e.g. `backend.port`. */
  variables?: Readonly<Record<string, string>>;
}

export function parsePollingConfig(xml: string, options: ParseOptions): PollingConfig {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new ConfigError(`${options.fileName}:${err.message}`);
    throw err;
  }
  return readRoot(new ElementReader(options.fileName, options.variables), root, options);
}

function readRoot(r: ElementReader, root: XmlElement, options: ParseOptions): PollingConfig {
  if (root.name !== 'poller-configuration') {
    r.fail(root, `the root element must be <poller-configuration>`);
  }
  r.attributes(root, [], []);
  const config: PollingConfig = {
    settings: { ...DEFAULT_SETTINGS },
    packages: new Map(),
    locations: new Map(),
    monitorTypes: new Map(),
    outageCalendars: new Map(),
    applications: new Map(),
    notificationSinks: new Map(),
    notificationRules: [],
  };
  let settingsSeen = false;
  const unique = <T extends { name: string }>(map: Map<string, T>, element: XmlElement, what: string, value: T) => {
    if (map.has(value.name)) r.fail(element, `duplicate ${what} name "${value.name}"`);
    map.set(value.name, value);
  };
  for (const child of root.children) {
    switch (child.name) {
      case 'poller-settings':
        if (settingsSeen) r.fail(child, 'only one <poller-settings> is allowed');
        settingsSeen = true;
        config.settings = readPollerSettings(r, child);
        break;
      case 'package':
        unique(config.packages, child, 'package', readPackage(r, child));
        break;
      case 'monitor': {
        r.noChildren(child);
        const [service, type] = r.attributes(child, ['service', 'type'], []);
        if (!Object.hasOwn(options.monitors, type!)) {
          r.fail(child, `unknown monitor type "${type}" (known: ${Object.keys(options.monitors).sort().join(', ')})`);
        }
        if (config.monitorTypes.has(service!)) r.fail(child, `duplicate monitor for service "${service}"`);
        config.monitorTypes.set(service!, type!);
        break;
      }
      case 'outage':
        unique(config.outageCalendars, child, 'outage', readOutage(r, child));
        break;
      case 'location':
        unique(config.locations, child, 'location', readLocation(r, child));
        break;
      case 'application':
        unique(config.applications, child, 'application', readApplication(r, child));
        break;
      case 'webhook':
      case 'email':
        unique(config.notificationSinks, child, 'notification sink', child.name === 'webhook' ? readWebhook(r, child) : readEmail(r, child));
        break;
      case 'notification': {
        const rule = readNotificationRule(r, child);
        if (config.notificationRules.some((n) => n.name === rule.name)) r.fail(child, `duplicate notification name "${rule.name}"`);
        config.notificationRules.push(rule);
        break;
      }
      default:
        r.unknownElement(child, root);
    }
  }
  crossCheck(r, root, config, options.monitors);
  return config;
}
