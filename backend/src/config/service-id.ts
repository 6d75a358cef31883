/** Stable across reloads for the same node and service, so outages and series continue. */
export function serviceIdOf(nodeLabel: string, serviceName: string): string {
  return `${nodeLabel}/${serviceName}`;
}
