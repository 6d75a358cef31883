/**
 * A package's services as the poller keeps them for as long as the package is
 * in force. Parsed from the wire, each service has its own `params` object and
 * its own copy of every string, and was built one property at a time (V8 then
 * keeps its properties out of line). A package of 100,000 services mostly
 * repeats a few parameter sets, monitors and host names: here each distinct
 * value is kept once and shared, and each service is one object literal.
 */
import type { PolledService } from '@vantage/common';

/** Keeps one instance of each distinct value, keyed by what identifies it. */
class Interner<T> {
  private readonly seen = new Map<string, T>();

  get(key: string, value: T): T {
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    this.seen.set(key, value);
    return value;
  }
}

/** `services` rebuilt compactly, with equal parameter sets, downtime lists and strings shared; order and values unchanged. */
export function compactServices(services: readonly PolledService[]): PolledService[] {
  const strings = new Interner<string>();
  const params = new Interner<PolledService['params']>();
  const downtimes = new Interner<NonNullable<PolledService['downtime']>>();
  const text = (value: string) => strings.get(value, value);
  return services.map((service): PolledService => {
    const compact: PolledService = {
      serviceId: service.serviceId,
      serviceName: text(service.serviceName),
      monitor: text(service.monitor),
      nodeLabel: text(service.nodeLabel),
      host: text(service.host),
      intervalMs: service.intervalMs,
      params: params.get(JSON.stringify(service.params), service.params),
    };
    if (service.downtime !== undefined) compact.downtime = downtimes.get(JSON.stringify(service.downtime), service.downtime);
    return compact;
  });
}
