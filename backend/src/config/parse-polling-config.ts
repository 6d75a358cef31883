/**
 * Parses and strictly validates `polling-config.xml`. Every mistake is a
 * ConfigError naming the file, the line, the element and the problem; the
 * first one found is reported. Unknown elements and attributes are mistakes.
 */
import { ConfigError } from './config-error.ts';
import {
  DEFAULT_SETTINGS,
  type BackendPollerSettings,
  type LocationDefinition,
  type PackageDefinition,
  type PollingConfig,
  type ServiceDefinition,
} from './polling-config.ts';
import { parseXml, XmlSyntaxError, type XmlElement } from './xml-tree.ts';

export interface ParseOptions {
  /** Shown in error messages. */
  fileName: string;
  /** Monitor types the pollers know; a `<monitor type>` outside this set is refused. */
  knownMonitorTypes: ReadonlySet<string>;
  /** Values for `${name}` placeholders in parameter values, e.g. `backend.port`. */
  variables?: Readonly<Record<string, string>>;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

export function parsePollingConfig(xml: string, options: ParseOptions): PollingConfig {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw new ConfigError(`${options.fileName}:${err.message}`);
    throw err;
  }
  return new ConfigReader(options).read(root);
}

class ConfigReader {
  constructor(private readonly options: ParseOptions) {}

  read(root: XmlElement): PollingConfig {
    if (root.name !== 'poller-configuration') {
      this.fail(root, `the root element must be <poller-configuration>`);
    }
    this.attributes(root, [], []);
    const config: PollingConfig = {
      settings: { ...DEFAULT_SETTINGS },
      packages: new Map(),
      locations: new Map(),
      monitorTypes: new Map(),
    };
    let settingsSeen = false;
    for (const child of root.children) {
      switch (child.name) {
        case 'poller-settings':
          if (settingsSeen) this.fail(child, 'only one <poller-settings> is allowed');
          settingsSeen = true;
          config.settings = this.settings(child);
          break;
        case 'package': {
          const pkg = this.package(child);
          if (config.packages.has(pkg.name)) this.fail(child, `duplicate package name "${pkg.name}"`);
          config.packages.set(pkg.name, pkg);
          break;
        }
        case 'monitor': {
          this.noChildren(child);
          const [service, type] = this.attributes(child, ['service', 'type'], []);
          if (!this.options.knownMonitorTypes.has(type!)) {
            this.fail(child, `unknown monitor type "${type}" (known: ${[...this.options.knownMonitorTypes].sort().join(', ')})`);
          }
          if (config.monitorTypes.has(service!)) this.fail(child, `duplicate monitor for service "${service}"`);
          config.monitorTypes.set(service!, type!);
          break;
        }
        case 'location': {
          const location = this.location(child);
          if (config.locations.has(location.name)) this.fail(child, `duplicate location name "${location.name}"`);
          config.locations.set(location.name, location);
          break;
        }
        default:
          this.unknownElement(child, root);
      }
    }
    this.crossCheck(root, config);
    return config;
  }

  private settings(element: XmlElement): BackendPollerSettings {
    this.noChildren(element);
    const names = [
      'check-in-interval',
      'disconnect-timeout',
      'parallel-tasks',
      'default-timeout',
      'log-level',
      'spool-max-age',
      'spool-max-bytes',
    ];
    const [checkIn, disconnect, parallel, timeout, logLevel, spoolAge, spoolBytes] = this.attributes(element, [], names);
    const settings = { ...DEFAULT_SETTINGS };
    if (checkIn !== undefined) settings.checkInIntervalMs = this.positiveInt(element, 'check-in-interval', checkIn);
    settings.disconnectTimeoutMs =
      disconnect !== undefined ? this.positiveInt(element, 'disconnect-timeout', disconnect) : settings.checkInIntervalMs * 3;
    if (settings.disconnectTimeoutMs <= settings.checkInIntervalMs) {
      this.fail(element, `disconnect-timeout (${settings.disconnectTimeoutMs}) must be longer than check-in-interval (${settings.checkInIntervalMs})`);
    }
    if (parallel !== undefined) settings.parallelTasks = this.positiveInt(element, 'parallel-tasks', parallel, 'number');
    if (timeout !== undefined) settings.defaultTimeoutMs = this.positiveInt(element, 'default-timeout', timeout);
    if (logLevel !== undefined) {
      if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
        this.fail(element, `attribute log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
      }
      settings.logLevel = logLevel as BackendPollerSettings['logLevel'];
    }
    if (spoolAge !== undefined) settings.spoolMaxAgeMs = this.positiveInt(element, 'spool-max-age', spoolAge);
    if (spoolBytes !== undefined) settings.spoolMaxBytes = this.positiveInt(element, 'spool-max-bytes', spoolBytes, 'number of bytes');
    return settings;
  }

  private package(element: XmlElement): PackageDefinition {
    const [name] = this.attributes(element, ['name'], []);
    const pkg: PackageDefinition = { name: name!, targets: [], services: [] };
    const labels = new Set<string>();
    for (const child of element.children) {
      if (child.name === 'specific') {
        this.noChildren(child);
        const host = child.text.trim();
        if (!host) this.fail(child, 'a <specific> needs a host address or name as its text');
        const [label] = this.attributes(child, [], ['node-label']);
        const nodeLabel = label ?? host;
        if (labels.has(nodeLabel)) this.fail(child, `duplicate node label "${nodeLabel}" in package "${pkg.name}"`);
        labels.add(nodeLabel);
        pkg.targets.push({ host, nodeLabel });
      } else if (child.name === 'service') {
        const service = this.service(child);
        if (pkg.services.some((s) => s.name === service.name)) {
          this.fail(child, `duplicate service "${service.name}" in package "${pkg.name}"`);
        }
        pkg.services.push(service);
      } else {
        this.unknownElement(child, element);
      }
    }
    if (pkg.targets.length === 0) this.fail(element, `package "${pkg.name}" has no <specific> target`);
    return pkg;
  }

  private service(element: XmlElement): ServiceDefinition {
    const [name, interval, status] = this.attributes(element, ['name', 'interval'], ['status']);
    if (status !== undefined && status !== 'on' && status !== 'off') {
      this.fail(element, `attribute status must be "on" or "off", got "${status}"`);
    }
    const service: ServiceDefinition = {
      name: name!,
      intervalMs: this.positiveInt(element, 'interval', interval!),
      enabled: status !== 'off',
      params: {},
    };
    for (const child of element.children) {
      if (child.name !== 'parameter') this.unknownElement(child, element);
      this.noChildren(child);
      const [key, value] = this.attributes(child, ['key', 'value'], []);
      if (Object.hasOwn(service.params, key!)) this.fail(child, `duplicate parameter "${key}"`);
      service.params[key!] = this.substitute(child, value!);
    }
    return service;
  }

  private location(element: XmlElement): LocationDefinition {
    const [name, area, token] = this.attributes(element, ['name'], ['monitoring-area', 'registration-token']);
    const location: LocationDefinition = { name: name!, monitoringArea: area ?? name!, packageNames: [] };
    if (token !== undefined) {
      if (token.length < 8) this.fail(element, 'registration-token must be at least 8 characters');
      location.registrationToken = token;
    }
    for (const child of element.children) {
      if (child.name !== 'polling-package') this.unknownElement(child, element);
      this.noChildren(child);
      const [pkg] = this.attributes(child, ['name'], []);
      if (location.packageNames.includes(pkg!)) this.fail(child, `duplicate polling-package "${pkg}" in location "${location.name}"`);
      location.packageNames.push(pkg!);
    }
    if (location.packageNames.length === 0) this.fail(element, `location "${location.name}" names no <polling-package>`);
    return location;
  }

  /** Checks that need the whole file: references between elements. */
  private crossCheck(root: XmlElement, config: PollingConfig): void {
    const elementsOf = (name: string) => root.children.filter((c) => c.name === name);
    for (const element of elementsOf('location')) {
      for (const ref of element.children) {
        const pkg = ref.attributes.name!;
        if (!config.packages.has(pkg)) this.fail(ref, `location "${element.attributes.name}" names unknown package "${pkg}"`);
      }
    }
    for (const element of elementsOf('package')) {
      for (const child of element.children.filter((c) => c.name === 'service')) {
        if (!config.monitorTypes.has(child.attributes.name!)) {
          this.fail(child, `service "${child.attributes.name}" has no <monitor service="${child.attributes.name}" .../>`);
        }
      }
    }
    if (config.locations.size === 0) this.fail(root, 'at least one <location> is required');
  }

  /** Returns the values of `required` then `optional` attributes, refusing any other. */
  private attributes(element: XmlElement, required: string[], optional: string[]): (string | undefined)[] {
    for (const name of Object.keys(element.attributes)) {
      if (!required.includes(name) && !optional.includes(name)) {
        const allowed = [...required, ...optional];
        this.fail(element, `unknown attribute "${name}"${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`);
      }
    }
    for (const name of required) {
      const value = element.attributes[name];
      if (value === undefined || value.trim() === '') this.fail(element, `missing required attribute "${name}"`);
    }
    for (const name of optional) {
      if (element.attributes[name]?.trim() === '') this.fail(element, `attribute "${name}" must not be empty`);
    }
    return [...required, ...optional].map((name) => element.attributes[name]?.trim());
  }

  private positiveInt(element: XmlElement, attribute: string, value: string, unit = 'number of milliseconds'): number {
    if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
      this.fail(element, `attribute ${attribute} must be a positive whole ${unit}, got "${value}"`);
    }
    return Number(value);
  }

  private substitute(element: XmlElement, value: string): string {
    return value.replace(/\$\{([\w.-]+)\}/g, (_, name: string) => {
      const replacement = this.options.variables?.[name];
      if (replacement === undefined) this.fail(element, `unknown variable \${${name}}`);
      return replacement;
    });
  }

  private noChildren(element: XmlElement): void {
    const child = element.children[0];
    if (child) this.unknownElement(child, element);
  }

  private unknownElement(element: XmlElement, parent: XmlElement): never {
    this.fail(element, `unknown element <${element.name}> inside <${parent.name}>`);
  }

  private fail(element: XmlElement, problem: string): never {
    throw new ConfigError(`${this.options.fileName}:${element.line}: <${element.name}>: ${problem}`);
  }
}
