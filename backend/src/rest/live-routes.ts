/**
 * GET /api/live: the event stream as Server-Sent Events, for the UI's live
 * views. Each stored event is one `data:` message (its JSON); a comment line
 * every 25 s keeps proxies from closing an idle stream. Best effort: a
 * browser that reconnects refetches its lists, the events are all stored.
 */
import type { EventBus } from '@vantage/events';
import type { FastifyInstance } from 'fastify';

let nextSubscriber = 0;

export function registerLiveRoute(app: FastifyInstance, bus: EventBus): void {
  app.get('/api/live', (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    out.write('retry: 3000\n\n');
    const unsubscribe = bus.subscribe(`live-${++nextSubscriber}`, (event) => {
      out.write(`id: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), 25_000);
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  });
}
