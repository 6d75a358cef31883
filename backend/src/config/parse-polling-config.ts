/**
 * Parses and strictly validates `polling-config.xml`. Every mistake is a
 * ConfigError naming the file, the line, the element and the problem; the
 * first one found is reported. Unknown elements and attributes are mistakes.
 */
import { isUeiValue, MAX_LOCATION_LENGTH, MAX_SERVICE_ID_LENGTH, MAX_TOKEN_LENGTH, type Downtime } from '@vantage/common';
import { SEVERITIES } from '@vantage/events';
import type { EmailSinkConfig, NotificationRule, WebhookSinkConfig } from '../notifications/rules.ts';
import { expandRanges, findOverlap, parseRange, type AddressRange } from './address-ranges.ts';
import { ConfigError } from './config-error.ts';
import { ElementReader } from './element-reader.ts';
import { isValidTimeZone, parseOutageTime, type OutageCalendar } from './outage-calendar.ts';
import {
  DEFAULT_APPLICATION_DOWN_THRESHOLD,
  DEFAULT_SETTINGS,
  MAX_TARGETS_PER_PACKAGE,
  type ApplicationDefinition,
  type BackendPollerSettings,
  type LocationDefinition,
  type PackageDefinition,
  type PollingConfig,
  type ServiceDefinition,
  type Target,
} from './polling-config.ts';
import { serviceIdOf } from './service-id.ts';
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
const OUTAGE_TYPES = ['specific', 'daily', 'weekly', 'monthly'] as const;
/** Host names and addresses: letters, digits, dots, hyphens, colons (IPv6), underscores. */
const HOST_PATTERN = /^[A-Za-z0-9._:-]+$/;

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

class ConfigReader extends ElementReader {
  constructor(private readonly options: ParseOptions) {
    super(options.fileName, options.variables);
  }

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
      outageCalendars: new Map(),
      applications: new Map(),
      notificationSinks: new Map(),
      notificationRules: [],
    };
    let settingsSeen = false;
    const unique = <T extends { name: string }>(map: Map<string, T>, element: XmlElement, what: string, value: T) => {
      if (map.has(value.name)) this.fail(element, `duplicate ${what} name "${value.name}"`);
      map.set(value.name, value);
    };
    for (const child of root.children) {
      switch (child.name) {
        case 'poller-settings':
          if (settingsSeen) this.fail(child, 'only one <poller-settings> is allowed');
          settingsSeen = true;
          config.settings = this.settings(child);
          break;
        case 'package':
          unique(config.packages, child, 'package', this.package(child));
          break;
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
        case 'outage':
          unique(config.outageCalendars, child, 'outage', this.outage(child));
          break;
        case 'location':
          unique(config.locations, child, 'location', this.location(child));
          break;
        case 'application':
          unique(config.applications, child, 'application', this.application(child));
          break;
        case 'webhook':
        case 'email':
          unique(config.notificationSinks, child, 'notification sink', child.name === 'webhook' ? this.webhook(child) : this.email(child));
          break;
        case 'notification': {
          const rule = this.notificationRule(child);
          if (config.notificationRules.some((r) => r.name === rule.name)) this.fail(child, `duplicate notification name "${rule.name}"`);
          config.notificationRules.push(rule);
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
    const pkg: PackageDefinition = { name: name!, targets: [], services: [], downtime: [], outageCalendars: [] };
    const specifics: { target: Target; element: XmlElement }[] = [];
    const includes: { range: AddressRange; element: XmlElement }[] = [];
    const excludes: AddressRange[] = [];
    const downtimeElements: XmlElement[] = [];
    for (const child of element.children) {
      switch (child.name) {
        case 'specific': {
          this.noChildren(child);
          const host = child.text.trim();
          if (!host) this.fail(child, 'a <specific> needs a host address or name as its text');
          if (!HOST_PATTERN.test(host)) this.fail(child, `"${host}" is not a host name or address`);
          const [label] = this.attributes(child, [], ['node-label']);
          specifics.push({ target: { host, nodeLabel: label ?? host }, element: child });
          break;
        }
        case 'include-range':
        case 'exclude-range': {
          this.noChildren(child);
          const [begin, end] = this.attributes(child, ['begin', 'end'], []);
          const range = parseRange(begin!, end!);
          if (typeof range === 'string') this.fail(child, range);
          if (child.name === 'include-range') includes.push({ range, element: child });
          else excludes.push(range);
          break;
        }
        case 'service': {
          const service = this.service(child);
          if (pkg.services.some((s) => s.name === service.name)) this.fail(child, `duplicate service "${service.name}" in package "${pkg.name}"`);
          pkg.services.push(service);
          break;
        }
        case 'downtime':
          pkg.downtime.push(this.downtime(child));
          downtimeElements.push(child);
          break;
        case 'outage-calendar': {
          this.attributes(child, [], []);
          this.noChildren(child);
          const calendar = child.text.trim();
          if (!calendar) this.fail(child, 'an <outage-calendar> names an <outage> as its text');
          if (pkg.outageCalendars.includes(calendar)) this.fail(child, `duplicate outage-calendar "${calendar}" in package "${pkg.name}"`);
          pkg.outageCalendars.push(calendar);
          break;
        }
        default:
          this.unknownElement(child, element);
      }
    }
    this.checkDowntimeOrder(downtimeElements, pkg.downtime);

    const overlap = findOverlap(includes.map((i) => i.range));
    if (overlap) {
      const [a, b] = overlap.map((i) => includes[i]!);
      this.fail(b!.element, `include-range ${b!.element.attributes.begin}–${b!.element.attributes.end} overlaps the include-range on line ${a!.element.line}`);
    }
    const expanded = expandRanges(
      includes.map((i) => i.range),
      excludes,
      MAX_TARGETS_PER_PACKAGE - specifics.length,
    );
    if ('tooMany' in expanded) {
      this.fail(element, `package "${pkg.name}" covers ${expanded.tooMany + specifics.length} addresses; at most ${MAX_TARGETS_PER_PACKAGE} are allowed in one package`);
    }
    const labels = new Map<string, XmlElement>();
    for (const { target, element: child } of specifics) {
      if (labels.has(target.nodeLabel)) this.fail(child, `duplicate node label "${target.nodeLabel}" in package "${pkg.name}"`);
      labels.set(target.nodeLabel, child);
      pkg.targets.push(target);
    }
    for (const address of expanded.addresses) {
      const clash = labels.get(address);
      if (clash) this.fail(clash, `node label "${address}" is also an address of an include-range in package "${pkg.name}"`);
      pkg.targets.push({ host: address, nodeLabel: address });
    }
    if (pkg.targets.length === 0) {
      this.fail(element, `package "${pkg.name}" has no target: add a <specific> or an <include-range> (exclusions may have removed every address)`);
    }
    // Pollers send service ids back with every result, and the protocol bounds them.
    const longestLabel = pkg.targets.reduce((longest, t) => (t.nodeLabel.length > longest.length ? t.nodeLabel : longest), '');
    for (const service of pkg.services) {
      const id = serviceIdOf(longestLabel, service.name);
      if (id.length > MAX_SERVICE_ID_LENGTH) {
        this.fail(element, `service id "${id.slice(0, 40)}…" is ${id.length} characters; pollers can report at most ${MAX_SERVICE_ID_LENGTH}`);
      }
    }
    return pkg;
  }

  private service(element: XmlElement): ServiceDefinition {
    const [name, interval, status] = this.attributes(element, ['name', 'interval'], ['status']);
    const service: ServiceDefinition = {
      name: name!,
      intervalMs: this.positiveInt(element, 'interval', interval!),
      enabled: status === undefined || this.oneOf(element, 'status', status, ['on', 'off']) === 'on',
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

  /** `<downtime begin end interval/>` or `<downtime begin delete="true"/>`, as in OpenNMS. */
  private downtime(element: XmlElement): Downtime {
    this.noChildren(element);
    const [begin, end, interval, del] = this.attributes(element, ['begin'], ['end', 'interval', 'delete']);
    const downtime: Downtime = { beginMs: this.nonNegativeInt(element, 'begin', begin!) };
    if (end !== undefined) {
      downtime.endMs = this.positiveInt(element, 'end', end);
      if (downtime.endMs <= downtime.beginMs) this.fail(element, `end (${downtime.endMs}) must be after begin (${downtime.beginMs})`);
    }
    const deletes = del !== undefined && this.oneOf(element, 'delete', del, ['true', 'false']) === 'true';
    if (deletes) {
      if (interval !== undefined) this.fail(element, 'a downtime that deletes takes no interval');
      if (end !== undefined) this.fail(element, 'a downtime that deletes takes no end: polling stops for good');
      downtime.delete = true;
    } else {
      if (interval === undefined) this.fail(element, 'missing required attribute "interval" (or delete="true")');
      downtime.intervalMs = this.positiveInt(element, 'interval', interval);
    }
    return downtime;
  }

  /** Downtime periods must follow one another without overlapping; only the last may be open-ended. */
  private checkDowntimeOrder(elements: XmlElement[], downtime: Downtime[]): void {
    for (let i = 1; i < downtime.length; i++) {
      const previous = downtime[i - 1]!;
      const current = downtime[i]!;
      if (previous.endMs === undefined) this.fail(elements[i]!, `the downtime on line ${elements[i - 1]!.line} has no end, so no downtime may follow it`);
      if (current.beginMs < previous.beginMs) {
        this.fail(elements[i]!, `downtimes must be listed in order of begin: ${current.beginMs} comes after ${previous.beginMs} on line ${elements[i - 1]!.line}`);
      }
      if (current.beginMs < previous.endMs) {
        this.fail(elements[i]!, `begin (${current.beginMs}) overlaps the downtime on line ${elements[i - 1]!.line}, which ends at ${previous.endMs}`);
      }
    }
  }

  /** `<outage name type [time-zone]><time …/></outage>`, as OpenNMS's poll-outages.xml. */
  private outage(element: XmlElement): OutageCalendar {
    const [name, type, timeZone] = this.attributes(element, ['name', 'type'], ['time-zone']);
    const calendar: OutageCalendar = { name: name!, type: this.oneOf(element, 'type', type!, OUTAGE_TYPES), times: [] };
    if (timeZone !== undefined) {
      if (!isValidTimeZone(timeZone)) this.fail(element, `unknown time zone "${timeZone}" (use an IANA name such as Europe/Paris)`);
      calendar.timeZone = timeZone;
    }
    for (const child of element.children) {
      if (child.name !== 'time') this.unknownElement(child, element);
      this.noChildren(child);
      const time = parseOutageTime(calendar.type, child.attributes, calendar.timeZone);
      if (typeof time === 'string') this.fail(child, time);
      calendar.times.push(time);
    }
    if (calendar.times.length === 0) this.fail(element, `outage "${calendar.name}" has no <time>`);
    return calendar;
  }

  private location(element: XmlElement): LocationDefinition {
    const [name, area, token, geolocation, coordinates, mode] = this.attributes(
      element,
      ['name'],
      ['monitoring-area', 'registration-token', 'geolocation', 'coordinates', 'mode'],
    );
    if (name!.length > MAX_LOCATION_LENGTH) {
      this.fail(element, `location name "${name!.slice(0, 40)}…" is ${name!.length} characters; pollers can register at most ${MAX_LOCATION_LENGTH}`);
    }
    const location: LocationDefinition = {
      name: name!,
      monitoringArea: area ?? name!,
      packageNames: [],
      mode: mode === undefined ? 'replicate' : this.oneOf(element, 'mode', mode, ['replicate', 'distribute']),
    };
    if (token !== undefined) {
      if (token.length < 8) this.fail(element, 'registration-token must be at least 8 characters');
      if (token.length > MAX_TOKEN_LENGTH) this.fail(element, `registration-token is ${token.length} characters; pollers can send at most ${MAX_TOKEN_LENGTH}`);
      location.registrationToken = token;
    }
    if (geolocation !== undefined) location.geolocation = geolocation;
    if (coordinates !== undefined) {
      const match = /^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(coordinates);
      const [latitude, longitude] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
      if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) {
        this.fail(element, `attribute coordinates must be "latitude,longitude" in degrees, such as "35.7796,-78.6382", got "${coordinates}"`);
      }
      location.coordinates = { latitude, longitude };
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

  private application(element: XmlElement): ApplicationDefinition {
    const [name, threshold] = this.attributes(element, ['name'], ['down-threshold']);
    const application: ApplicationDefinition = {
      name: name!,
      members: [],
      downThreshold: threshold === undefined ? DEFAULT_APPLICATION_DOWN_THRESHOLD : this.positiveInt(element, 'down-threshold', threshold, 'number of locations'),
    };
    for (const child of element.children) {
      if (child.name !== 'service') this.unknownElement(child, element);
      this.noChildren(child);
      const [packageName, nodeLabel, serviceName] = this.attributes(child, ['package', 'node', 'name'], []);
      const serviceId = serviceIdOf(nodeLabel!, serviceName!);
      if (application.members.some((m) => m.serviceId === serviceId)) {
        this.fail(child, `duplicate service ${serviceName} of node "${nodeLabel}" in application "${application.name}"`);
      }
      application.members.push({ packageName: packageName!, nodeLabel: nodeLabel!, serviceName: serviceName!, serviceId });
    }
    if (application.members.length === 0) this.fail(element, `application "${application.name}" has no <service>`);
    return application;
  }

  /** `<webhook name url [timeout]>` with `<header name value/>` children. */
  private webhook(element: XmlElement): WebhookSinkConfig {
    const [name, url, timeout] = this.attributes(element, ['name', 'url'], ['timeout']);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url!);
    } catch {
      // reported below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) this.fail(element, `attribute url must be an http:// or https:// URL, got "${url}"`);
    const sink: WebhookSinkConfig = { name: name!, type: 'webhook', url: url!, headers: {}, timeoutMs: timeout === undefined ? 10_000 : this.positiveInt(element, 'timeout', timeout) };
    for (const child of element.children) {
      if (child.name !== 'header') this.unknownElement(child, element);
      this.noChildren(child);
      const [header, value] = this.attributes(child, ['name', 'value'], []);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header!)) this.fail(child, `"${header}" is not a valid HTTP header name`);
      sink.headers[header!] = this.substitute(child, value!);
    }
    return sink;
  }

  /** `<email name smtp-host [smtp-port] [secure] [user password] from>` with `<to>address</to>` children. */
  private email(element: XmlElement): EmailSinkConfig {
    const [name, host, from, port, secure, user, password] = this.attributes(element, ['name', 'smtp-host', 'from'], ['smtp-port', 'secure', 'user', 'password']);
    const sink: EmailSinkConfig = {
      name: name!,
      type: 'email',
      smtpHost: host!,
      smtpPort: port === undefined ? 25 : this.positiveInt(element, 'smtp-port', port, 'port number'),
      secure: secure !== undefined && this.oneOf(element, 'secure', secure, ['true', 'false']) === 'true',
      from: from!,
      to: [],
    };
    if ((user === undefined) !== (password === undefined)) this.fail(element, 'attributes user and password go together');
    if (user !== undefined) Object.assign(sink, { user, password: this.substitute(element, password!) });
    for (const child of element.children) {
      if (child.name !== 'to') this.unknownElement(child, element);
      this.noChildren(child);
      this.attributes(child, [], []);
      const address = child.text.trim();
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) this.fail(child, `"${address}" is not an e-mail address`);
      sink.to.push(address);
    }
    if (sink.to.length === 0) this.fail(element, `e-mail sink "${sink.name}" has no <to> address`);
    return sink;
  }

  /** `<notification name ueis sinks [min-severity] [locations]/>`: which events go to which sinks. */
  private notificationRule(element: XmlElement): NotificationRule {
    this.noChildren(element);
    const [name, ueis, sinks, minSeverity, locations] = this.attributes(element, ['name', 'ueis', 'sinks'], ['min-severity', 'locations']);
    const list = (value: string) => value.split(/[\s,]+/).filter(Boolean);
    const rule: NotificationRule = { name: name!, ueis: list(ueis!), sinks: list(sinks!) };
    for (const uei of rule.ueis) {
      if (!uei.endsWith('*') && !isUeiValue(uei)) this.fail(element, `"${uei}" is not an event Vantage emits (end it with * to match a prefix)`);
    }
    if (minSeverity !== undefined) rule.minSeverity = this.oneOf(element, 'min-severity', minSeverity, SEVERITIES);
    if (locations !== undefined) rule.locations = list(locations);
    return rule;
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
      for (const child of element.children) {
        if (child.name === 'service' && !config.monitorTypes.has(child.attributes.name!)) {
          this.fail(child, `service "${child.attributes.name}" has no <monitor service="${child.attributes.name}" .../>`);
        }
        if (child.name === 'outage-calendar' && !config.outageCalendars.has(child.text.trim())) {
          this.fail(child, `package "${element.attributes.name}" names unknown outage "${child.text.trim()}"`);
        }
      }
    }
    for (const element of elementsOf('application')) {
      const application = config.applications.get(element.attributes.name!.trim())!;
      application.members.forEach((member, i) => this.checkMember(element.children[i]!, application, member, config));
    }
    for (const element of elementsOf('notification')) {
      const rule = config.notificationRules.find((r) => r.name === element.attributes.name?.trim())!;
      for (const sink of rule.sinks) {
        if (!config.notificationSinks.has(sink)) this.fail(element, `notification "${rule.name}" names unknown sink "${sink}" (define it with <webhook> or <email>)`);
      }
      for (const location of rule.locations ?? []) {
        if (!config.locations.has(location)) this.fail(element, `notification "${rule.name}" names unknown location "${location}"`);
      }
    }
    if (config.locations.size === 0) this.fail(root, 'at least one <location> is required');
  }

  private checkMember(element: XmlElement, application: ApplicationDefinition, member: ApplicationDefinition['members'][number], config: PollingConfig): void {
    const where = `application "${application.name}"`;
    const pkg = config.packages.get(member.packageName);
    if (!pkg) this.fail(element, `${where} names unknown package "${member.packageName}"`);
    if (!pkg.targets.some((t) => t.nodeLabel === member.nodeLabel)) {
      this.fail(element, `${where} names node "${member.nodeLabel}", which package "${pkg.name}" does not cover`);
    }
    const service = pkg.services.find((s) => s.name === member.serviceName);
    if (!service) this.fail(element, `${where} names service "${member.serviceName}", which package "${pkg.name}" does not define`);
    if (!service.enabled) this.fail(element, `${where} names service "${member.serviceName}" of package "${pkg.name}", which is status="off"`);
  }
}
