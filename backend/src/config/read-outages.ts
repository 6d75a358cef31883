/** Reads `<outage>`: an outage calendar, when alarms are not raised. */
import type { ElementReader } from './element-reader.ts';
import { isValidTimeZone, parseOutageTime, type OutageCalendar } from './outage-calendar.ts';
import type { XmlElement } from './xml-tree.ts';

const OUTAGE_TYPES = ['specific', 'daily', 'weekly', 'monthly'] as const;

/** `<outage name type [time-zone]><time …/></outage>`, as OpenNMS's poll-outages.xml. */
export function readOutage(r: ElementReader, element: XmlElement): OutageCalendar {
  const [name, type, timeZone] = r.attributes(element, ['name', 'type'], ['time-zone']);
  const calendar: OutageCalendar = { name: name!, type: r.oneOf(element, 'type', type!, OUTAGE_TYPES), times: [] };
  if (timeZone !== undefined) {
    if (!isValidTimeZone(timeZone)) r.fail(element, `unknown time zone "${timeZone}" (use an IANA name such as Europe/Paris)`);
    calendar.timeZone = timeZone;
  }
  for (const child of element.children) {
    if (child.name !== 'time') r.unknownElement(child, element);
    r.noChildren(child);
    const time = parseOutageTime(calendar.type, child.attributes, calendar.timeZone);
    if (typeof time === 'string') r.fail(child, time);
    calendar.times.push(time);
  }
  if (calendar.times.length === 0) r.fail(element, `outage "${calendar.name}" has no <time>`);
  return calendar;
}
