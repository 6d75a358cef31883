/**
 * A notification is one event on its way to one sink, as the outbox holds it;
 * and what the sinks send: the webhook's JSON body, the e-mail's subject and text.
 */
import { eventCatalogue, type Severity, type StoredEvent } from '@vantage/events';

export interface Notification {
  /** The outbox row's id. */
  id: number;
  /** Name of the sink it goes to. */
  sink: string;
  event: StoredEvent;
  /** Attempts made so far (failed ones: a delivered notification leaves the outbox). */
  attempts: number;
  /** Epoch ms before which it is not tried (again). */
  nextAttemptAt: number;
  lastError?: string;
}

/** The JSON a webhook receives: one event. `id` is the event's id, the same on every retry. */
export interface WebhookBody {
  id: number;
  uei: string;
  severity: Severity;
  label: string;
  /** ISO 8601, UTC. */
  time: string;
  /** Null for an event of no single location, such as an application's. */
  location: string | null;
  monitorId: string | null;
  serviceId: string | null;
  nodeLabel: string | null;
  params: Record<string, string>;
  description: string;
}

/** Label and description from the catalogue; the UEI itself for one it lacks (an event stored by a newer version). */
export function describeEvent(uei: string): { label: string; description: string } {
  const definition = eventCatalogue.find((d) => d.uei === uei);
  return definition ? { label: definition.label, description: definition.description } : { label: uei, description: '' };
}

export function webhookBody(event: StoredEvent): WebhookBody {
  const { label, description } = describeEvent(event.uei);
  return {
    id: event.id,
    uei: event.uei,
    severity: event.severity,
    label,
    time: new Date(event.time).toISOString(),
    location: event.location ?? null,
    monitorId: event.monitorId ?? null,
    serviceId: event.serviceId ?? null,
    nodeLabel: event.nodeLabel ?? null,
    params: { ...event.params },
    description,
  };
}

/** What the event is about: the service (`web1/HTTP`), the application, or the location monitor. */
function subjectOf(event: StoredEvent): string | undefined {
  if (event.serviceId) return event.serviceId;
  if (event.nodeLabel) return event.nodeLabel;
  if (event.params.application) return `application ${event.params.application}`;
  if (event.params.monitorName) return `monitor ${event.params.monitorName}`;
  if (event.monitorId) return `monitor ${event.monitorId}`;
  return undefined;
}

/** Header values must stay on one line, whatever a node label or parameter holds. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** `[Vantage] Minor: A service is down, as seen from one location monitor — web1/HTTP at RDU` */
export function emailSubject(event: StoredEvent): string {
  const what = subjectOf(event);
  const where = event.location ? ` at ${event.location}` : '';
  const about = what ? ` — ${what}${where}` : where ? ` —${where}` : '';
  return oneLine(`[Vantage] ${event.severity}: ${describeEvent(event.uei).label}${about}`);
}

/** The plain-text body: what happened, the event's fields, its parameters, the catalogue's description. */
export function emailText(event: StoredEvent): string {
  const { label, description } = describeEvent(event.uei);
  const monitorName = event.params.monitorName;
  const fields: [string, string | null | undefined][] = [
    ['Severity', event.severity],
    ['Time', new Date(event.time).toISOString()],
    ['Location', event.location],
    ['Monitor', monitorName && event.monitorId ? `${monitorName} (${event.monitorId})` : (monitorName ?? event.monitorId)],
    ['Application', event.params.application],
    ['Node', event.nodeLabel],
    ['Service', event.serviceId],
    ['Event', `${event.uei} #${event.id}`],
  ];
  const lines = [label, ''];
  for (const [name, value] of fields) {
    if (value) lines.push(`${`${name}:`.padEnd(13)}${value}`);
  }
  const params = Object.entries(event.params).filter(([name]) => name !== 'monitorName' && name !== 'application');
  if (params.length > 0) {
    lines.push('', 'Parameters:');
    for (const [name, value] of params) lines.push(`  ${name}: ${value}`);
  }
  if (description) lines.push('', description);
  return lines.join('\n') + '\n';
}
