/**
 * Reads `<package>`: its targets (specifics and address ranges), its services
 * with their parameters, its downtime model and the outage calendars it names.
 */
import { MAX_SERVICE_ID_LENGTH, type Downtime } from '@vantage/common';
import { expandRanges, findOverlap, parseRange, type AddressRange } from './address-ranges.ts';
import type { ElementReader } from './element-reader.ts';
import { MAX_TARGETS_PER_PACKAGE, type PackageDefinition, type ServiceDefinition, type Target } from './polling-config.ts';
import { serviceIdOf } from './service-id.ts';
import type { XmlElement } from './xml-tree.ts';

/** Host names and addresses: letters, digits, dots, hyphens, colons (IPv6), underscores. */
const HOST_PATTERN = /^[A-Za-z0-9._:-]+$/;

export function readPackage(r: ElementReader, element: XmlElement): PackageDefinition {
  const [name] = r.attributes(element, ['name'], []);
  const pkg: PackageDefinition = { name: name!, targets: [], services: [], downtime: [], outageCalendars: [] };
  const specifics: { target: Target; element: XmlElement }[] = [];
  const includes: { range: AddressRange; element: XmlElement }[] = [];
  const excludes: AddressRange[] = [];
  const downtimeElements: XmlElement[] = [];
  for (const child of element.children) {
    switch (child.name) {
      case 'specific': {
        r.noChildren(child);
        const host = child.text.trim();
        if (!host) r.fail(child, 'a <specific> needs a host address or name as its text');
        if (!HOST_PATTERN.test(host)) r.fail(child, `"${host}" is not a host name or address`);
        const [label] = r.attributes(child, [], ['node-label']);
        specifics.push({ target: { host, nodeLabel: label ?? host }, element: child });
        break;
      }
      case 'include-range':
      case 'exclude-range': {
        r.noChildren(child);
        const [begin, end] = r.attributes(child, ['begin', 'end'], []);
        const range = parseRange(begin!, end!);
        if (typeof range === 'string') r.fail(child, range);
        if (child.name === 'include-range') includes.push({ range, element: child });
        else excludes.push(range);
        break;
      }
      case 'service': {
        const service = readService(r, child);
        if (pkg.services.some((s) => s.name === service.name)) r.fail(child, `duplicate service "${service.name}" in package "${pkg.name}"`);
        pkg.services.push(service);
        break;
      }
      case 'downtime':
        pkg.downtime.push(readDowntime(r, child));
        downtimeElements.push(child);
        break;
      case 'outage-calendar': {
        r.attributes(child, [], []);
        r.noChildren(child);
        const calendar = child.text.trim();
        if (!calendar) r.fail(child, 'an <outage-calendar> names an <outage> as its text');
        if (pkg.outageCalendars.includes(calendar)) r.fail(child, `duplicate outage-calendar "${calendar}" in package "${pkg.name}"`);
        pkg.outageCalendars.push(calendar);
        break;
      }
      default:
        r.unknownElement(child, element);
    }
  }
  checkDowntimeOrder(r, downtimeElements, pkg.downtime);

  const overlap = findOverlap(includes.map((i) => i.range));
  if (overlap) {
    const [a, b] = overlap.map((i) => includes[i]!);
    r.fail(b!.element, `include-range ${b!.element.attributes.begin}–${b!.element.attributes.end} overlaps the include-range on line ${a!.element.line}`);
  }
  const expanded = expandRanges(
    includes.map((i) => i.range),
    excludes,
    MAX_TARGETS_PER_PACKAGE - specifics.length,
  );
  if ('tooMany' in expanded) {
    r.fail(element, `package "${pkg.name}" covers ${expanded.tooMany + specifics.length} addresses; at most ${MAX_TARGETS_PER_PACKAGE} are allowed in one package`);
  }
  const labels = new Map<string, XmlElement>();
  for (const { target, element: child } of specifics) {
    if (labels.has(target.nodeLabel)) r.fail(child, `duplicate node label "${target.nodeLabel}" in package "${pkg.name}"`);
    labels.set(target.nodeLabel, child);
    pkg.targets.push(target);
  }
  for (const address of expanded.addresses) {
    const clash = labels.get(address);
    if (clash) r.fail(clash, `node label "${address}" is also an address of an include-range in package "${pkg.name}"`);
    pkg.targets.push({ host: address, nodeLabel: address });
  }
  if (pkg.targets.length === 0) {
    r.fail(element, `package "${pkg.name}" has no target: add a <specific> or an <include-range> (exclusions may have removed every address)`);
  }
  // Pollers send service ids back with every result, and the protocol bounds them.
  const longestLabel = pkg.targets.reduce((longest, t) => (t.nodeLabel.length > longest.length ? t.nodeLabel : longest), '');
  for (const service of pkg.services) {
    const id = serviceIdOf(longestLabel, service.name);
    if (id.length > MAX_SERVICE_ID_LENGTH) {
      r.fail(element, `service id "${id.slice(0, 40)}…" is ${id.length} characters; pollers can report at most ${MAX_SERVICE_ID_LENGTH}`);
    }
  }
  return pkg;
}

function readService(r: ElementReader, element: XmlElement): ServiceDefinition {
  const [name, interval, status] = r.attributes(element, ['name', 'interval'], ['status']);
  const service: ServiceDefinition = {
    name: name!,
    intervalMs: r.positiveInt(element, 'interval', interval!),
    enabled: status === undefined || r.oneOf(element, 'status', status, ['on', 'off']) === 'on',
    params: {},
  };
  for (const child of element.children) {
    if (child.name !== 'parameter') r.unknownElement(child, element);
    r.noChildren(child);
    const [key, value] = r.attributes(child, ['key', 'value'], []);
    if (Object.hasOwn(service.params, key!)) r.fail(child, `duplicate parameter "${key}"`);
    service.params[key!] = r.substitute(child, value!);
  }
  return service;
}

/** `<downtime begin end interval/>` or `<downtime begin delete="true"/>`, as in OpenNMS. */
function readDowntime(r: ElementReader, element: XmlElement): Downtime {
  r.noChildren(element);
  const [begin, end, interval, del] = r.attributes(element, ['begin'], ['end', 'interval', 'delete']);
  const downtime: Downtime = { beginMs: r.nonNegativeInt(element, 'begin', begin!) };
  if (end !== undefined) {
    downtime.endMs = r.positiveInt(element, 'end', end);
    if (downtime.endMs <= downtime.beginMs) r.fail(element, `end (${downtime.endMs}) must be after begin (${downtime.beginMs})`);
  }
  const deletes = del !== undefined && r.oneOf(element, 'delete', del, ['true', 'false']) === 'true';
  if (deletes) {
    if (interval !== undefined) r.fail(element, 'a downtime that deletes takes no interval');
    if (end !== undefined) r.fail(element, 'a downtime that deletes takes no end: polling stops for good');
    downtime.delete = true;
  } else {
    if (interval === undefined) r.fail(element, 'missing required attribute "interval" (or delete="true")');
    downtime.intervalMs = r.positiveInt(element, 'interval', interval);
  }
  return downtime;
}

/** Downtime periods must follow one another without overlapping; only the last may be open-ended. */
function checkDowntimeOrder(r: ElementReader, elements: XmlElement[], downtime: Downtime[]): void {
  for (let i = 1; i < downtime.length; i++) {
    const previous = downtime[i - 1]!;
    const current = downtime[i]!;
    if (previous.endMs === undefined) r.fail(elements[i]!, `the downtime on line ${elements[i - 1]!.line} has no end, so no downtime may follow it`);
    if (current.beginMs < previous.beginMs) {
      r.fail(elements[i]!, `downtimes must be listed in order of begin: ${current.beginMs} comes after ${previous.beginMs} on line ${elements[i - 1]!.line}`);
    }
    if (current.beginMs < previous.endMs) {
      r.fail(elements[i]!, `begin (${current.beginMs}) overlaps the downtime on line ${elements[i - 1]!.line}, which ends at ${previous.endMs}`);
    }
  }
}
