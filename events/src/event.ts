import type { UeiValue } from '@vantage/common';
import type { Severity } from './catalogue.ts';

/** An event as it is raised: what happened, where, to whom. */
export interface NewEvent {
  uei: UeiValue;
  time: number;
  /** Null for events that belong to no single location, such as an application's. */
  location: string | null;
  /** Null for events that belong to no single monitor. */
  monitorId: string | null;
  serviceId?: string | null;
  nodeLabel?: string | null;
  /** Parameters such as `reason`, `monitorName`, `version`. */
  params?: Record<string, string>;
}

/** An event once stored: it has an id and the catalogue's severity. */
export interface StoredEvent extends Required<Omit<NewEvent, 'params'>> {
  id: number;
  severity: Severity;
  params: Record<string, string>;
}
