/** Reads `<location>` (where pollers run, and which packages they poll) and `<application>` (services seen together). */
import { MAX_LOCATION_LENGTH, MAX_TOKEN_LENGTH } from '@vantage/common';
import type { ElementReader } from './element-reader.ts';
import {
  DEFAULT_APPLICATION_DOWN_THRESHOLD,
  type ApplicationDefinition,
  type LocationDefinition,
} from './polling-config.ts';
import { serviceIdOf } from './service-id.ts';
import type { XmlElement } from './xml-tree.ts';

export function readLocation(r: ElementReader, element: XmlElement): LocationDefinition {
  const [name, area, token, geolocation, coordinates, mode, minOnline] = r.attributes(
    element,
    ['name'],
    ['monitoring-area', 'registration-token', 'geolocation', 'coordinates', 'mode', 'min-online'],
  );
  if (name!.length > MAX_LOCATION_LENGTH) {
    r.fail(element, `location name "${name!.slice(0, 40)}…" is ${name!.length} characters; pollers can register at most ${MAX_LOCATION_LENGTH}`);
  }
  const location: LocationDefinition = {
    name: name!,
    monitoringArea: area ?? name!,
    packageNames: [],
    mode: mode === undefined ? 'replicate' : r.oneOf(element, 'mode', mode, ['replicate', 'distribute']),
  };
  if (minOnline !== undefined) {
    if (location.mode !== 'distribute') r.fail(element, 'min-online applies only to mode="distribute" (in replicate mode every monitor polls everything)');
    location.minOnline = r.positiveInt(element, 'min-online', minOnline, 'number of monitors');
  }
  if (token !== undefined) {
    if (token.length < 8) r.fail(element, 'registration-token must be at least 8 characters');
    if (token.length > MAX_TOKEN_LENGTH) r.fail(element, `registration-token is ${token.length} characters; pollers can send at most ${MAX_TOKEN_LENGTH}`);
    location.registrationToken = token;
  }
  if (geolocation !== undefined) location.geolocation = geolocation;
  if (coordinates !== undefined) {
    const match = /^(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)$/.exec(coordinates);
    const [latitude, longitude] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) {
      r.fail(element, `attribute coordinates must be "latitude,longitude" in degrees, such as "35.7796,-78.6382", got "${coordinates}"`);
    }
    location.coordinates = { latitude, longitude };
  }
  for (const child of element.children) {
    if (child.name !== 'polling-package') r.unknownElement(child, element);
    r.noChildren(child);
    const [pkg] = r.attributes(child, ['name'], []);
    if (location.packageNames.includes(pkg!)) r.fail(child, `duplicate polling-package "${pkg}" in location "${location.name}"`);
    location.packageNames.push(pkg!);
  }
  if (location.packageNames.length === 0) r.fail(element, `location "${location.name}" names no <polling-package>`);
  return location;
}

export function readApplication(r: ElementReader, element: XmlElement): ApplicationDefinition {
  const [name, threshold] = r.attributes(element, ['name'], ['down-threshold']);
  const application: ApplicationDefinition = {
    name: name!,
    members: [],
    downThreshold: threshold === undefined ? DEFAULT_APPLICATION_DOWN_THRESHOLD : r.positiveInt(element, 'down-threshold', threshold, 'number of locations'),
  };
  for (const child of element.children) {
    if (child.name !== 'service') r.unknownElement(child, element);
    r.noChildren(child);
    const [packageName, nodeLabel, serviceName] = r.attributes(child, ['package', 'node', 'name'], []);
    const serviceId = serviceIdOf(nodeLabel!, serviceName!);
    if (application.members.some((m) => m.serviceId === serviceId)) {
      r.fail(child, `duplicate service ${serviceName} of node "${nodeLabel}" in application "${application.name}"`);
    }
    application.members.push({ packageName: packageName!, nodeLabel: nodeLabel!, serviceName: serviceName!, serviceId });
  }
  if (application.members.length === 0) r.fail(element, `application "${application.name}" has no <service>`);
  return application;
}
