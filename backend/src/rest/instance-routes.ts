/** REST for the backend instances serving this database: which are alive, since when, and how many pollers each holds. */
import type { FastifyInstance } from 'fastify';
import type { InstanceView } from '../cluster/instances.ts';

export interface InstanceRouteDependencies {
  /** Every registered instance, this one included, with its heartbeat. */
  instances: () => Promise<InstanceView[]>;
  /** The id of the instance answering. */
  instanceId: () => string | undefined;
}

export function registerInstanceRoutes(app: FastifyInstance, deps: InstanceRouteDependencies): void {
  app.get('/api/instances', async () => {
    const self = deps.instanceId();
    return (await deps.instances()).map((instance) => ({ ...instance, self: instance.id === self }));
  });
}
