/** REST for the deny list by address: list, block an address by hand, lift a block. */
import type { FastifyInstance } from 'fastify';
import { InvalidAddressError, type BlockedAddressStore } from '../location-monitors/blocked-addresses.ts';

export interface BlockedAddressRouteDependencies {
  blocked: BlockedAddressStore;
}

export function registerBlockedAddressRoutes(app: FastifyInstance, deps: BlockedAddressRouteDependencies): void {
  app.get('/api/blocked-addresses', async () => deps.blocked.list());

  app.post<{ Body: { address?: unknown; reason?: unknown } | undefined }>('/api/blocked-addresses', async (request, reply) => {
    const { address, reason } = request.body ?? {};
    if (typeof address !== 'string') return reply.code(400).send({ error: 'address is required: {address: "192.0.2.7", reason?: "…"}' });
    if (reason !== undefined && reason !== null && typeof reason !== 'string') return reply.code(400).send({ error: 'reason must be a string' });
    try {
      return await deps.blocked.add({ address, reason: reason ?? null, by: request.user?.username ?? 'unknown' });
    } catch (err) {
      if (err instanceof InvalidAddressError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  app.delete<{ Params: { address: string } }>('/api/blocked-addresses/:address', async (request, reply) => {
    if (!(await deps.blocked.remove(request.params.address))) return reply.code(404).send({ error: `${request.params.address} is not blocked` });
    return { address: request.params.address, blocked: false };
  });
}
