/** Reads the notification sinks (`<webhook>`, `<email>`) and rules (`<notification>`). */
import { isUeiValue } from '@vantage/common';
import { SEVERITIES } from '@vantage/events';
import type { EmailSinkConfig, NotificationRule, WebhookSinkConfig } from '../notifications/rules.ts';
import type { ElementReader } from './element-reader.ts';
import type { XmlElement } from './xml-tree.ts';

/** `<webhook name url [timeout]>` with `<header name value/>` children. */
export function readWebhook(r: ElementReader, element: XmlElement): WebhookSinkConfig {
  const [name, url, timeout] = r.attributes(element, ['name', 'url'], ['timeout']);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url!);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) r.fail(element, `attribute url must be an http:// or https:// URL, got "${url}"`);
  const sink: WebhookSinkConfig = { name: name!, type: 'webhook', url: url!, headers: {}, timeoutMs: timeout === undefined ? 10_000 : r.positiveInt(element, 'timeout', timeout) };
  for (const child of element.children) {
    if (child.name !== 'header') r.unknownElement(child, element);
    r.noChildren(child);
    const [header, value] = r.attributes(child, ['name', 'value'], []);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header!)) r.fail(child, `"${header}" is not a valid HTTP header name`);
    sink.headers[header!] = r.substitute(child, value!);
  }
  return sink;
}

/** `<email name smtp-host [smtp-port] [secure] [user password] from>` with `<to>address</to>` children. */
export function readEmail(r: ElementReader, element: XmlElement): EmailSinkConfig {
  const [name, host, from, port, secure, user, password] = r.attributes(element, ['name', 'smtp-host', 'from'], ['smtp-port', 'secure', 'user', 'password']);
  const sink: EmailSinkConfig = {
    name: name!,
    type: 'email',
    smtpHost: host!,
    smtpPort: port === undefined ? 25 : r.positiveInt(element, 'smtp-port', port, 'port number'),
    secure: secure !== undefined && r.oneOf(element, 'secure', secure, ['true', 'false']) === 'true',
    from: from!,
    to: [],
  };
  if ((user === undefined) !== (password === undefined)) r.fail(element, 'attributes user and password go together');
  if (user !== undefined) Object.assign(sink, { user, password: r.substitute(element, password!) });
  for (const child of element.children) {
    if (child.name !== 'to') r.unknownElement(child, element);
    r.noChildren(child);
    r.attributes(child, [], []);
    const address = child.text.trim();
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) r.fail(child, `"${address}" is not an e-mail address`);
    sink.to.push(address);
  }
  if (sink.to.length === 0) r.fail(element, `e-mail sink "${sink.name}" has no <to> address`);
  return sink;
}

/** `<notification name ueis sinks [min-severity] [locations]/>`: which events go to which sinks. */
export function readNotificationRule(r: ElementReader, element: XmlElement): NotificationRule {
  r.noChildren(element);
  const [name, ueis, sinks, minSeverity, locations] = r.attributes(element, ['name', 'ueis', 'sinks'], ['min-severity', 'locations']);
  const list = (value: string) => value.split(/[\s,]+/).filter(Boolean);
  const rule: NotificationRule = { name: name!, ueis: list(ueis!), sinks: list(sinks!) };
  for (const uei of rule.ueis) {
    if (!uei.endsWith('*') && !isUeiValue(uei)) r.fail(element, `"${uei}" is not an event Vantage emits (end it with * to match a prefix)`);
  }
  if (minSeverity !== undefined) rule.minSeverity = r.oneOf(element, 'min-severity', minSeverity, SEVERITIES);
  if (locations !== undefined) rule.locations = list(locations);
  return rule;
}
