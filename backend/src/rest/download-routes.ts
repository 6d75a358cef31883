/**
 * The poller, for download from the backend it will talk to (GroundWork
 * GDMA's way): one file that needs only Node.js 20, and its SHA-256 so that
 * the register panel's command can check what it fetched. Built by
 * `npm run build`; `npm start` builds it when it is missing.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { PUBLIC } from '../auth/route-access.ts';

export const POLLER_BUNDLE_PATH = fileURLToPath(new URL('../../../frontend-poller/dist/vantage-poller.mjs', import.meta.url));
export const POLLER_DOWNLOAD_URL = '/downloads/vantage-poller.mjs';

/** The bundle's bytes and digest, read again only when the file changes (a rebuild). */
export class PollerBundle {
  private cached: { mtimeMs: number; body: Buffer; sha256: string } | undefined;

  constructor(private readonly path = POLLER_BUNDLE_PATH) {}

  async read(): Promise<{ body: Buffer; sha256: string } | undefined> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.path)).mtimeMs;
    } catch {
      return undefined;
    }
    if (this.cached?.mtimeMs !== mtimeMs) {
      const body = await readFile(this.path);
      this.cached = { mtimeMs, body, sha256: createHash('sha256').update(body).digest('hex') };
    }
    return this.cached;
  }
}

export function registerDownloadRoutes(app: FastifyInstance, bundle: PollerBundle): void {
  const missing = { error: 'the poller bundle has not been built on this backend: run `npm run build`' };
  // Anyone may fetch it (a new host has no credentials): it holds no secret, and the panel's command checks its digest.
  app.get(POLLER_DOWNLOAD_URL, PUBLIC, async (_request, reply) => {
    const file = await bundle.read();
    if (!file) return reply.code(404).send(missing);
    return reply
      .type('text/javascript; charset=utf-8')
      .header('content-disposition', 'attachment; filename="vantage-poller.mjs"')
      .header('x-content-sha256', file.sha256)
      .header('cache-control', 'no-cache')
      .send(file.body);
  });
  app.get(`${POLLER_DOWNLOAD_URL}.sha256`, PUBLIC, async (_request, reply) => {
    const file = await bundle.read();
    if (!file) return reply.code(404).send(missing);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(`${file.sha256}  vantage-poller.mjs\n`);
  });
}
