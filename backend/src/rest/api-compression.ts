/**
 * REST answers compressed on their way out when the client accepts it and
 * they are worth it (the services list for a few hundred services is some
 * 100 KB of JSON, a tenth of that compressed). Fast settings: these are
 * made per request. Streams (the live event stream) and the poller
 * protocol are left alone.
 */
import { PassThrough, type Transform } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, constants, createBrotliCompress, createGzip, gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { chooseEncoding } from './compressed-files.ts';

const brotli = promisify(brotliCompress);
/** Fast settings: these are made per request. */
const BROTLI_PARAMS = { [constants.BROTLI_PARAM_QUALITY]: 4 };
const GZIP_LEVEL = 6;
const gzipAsync = promisify(gzip);
/** Smaller answers go as they are. */
const MIN_BYTES = 1024;

export function registerApiCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/api/') || reply.hasHeader('content-encoding')) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return body.length < MIN_BYTES ? payload : compressForClient(request, reply, body);
  });
}

/** `body` in the best encoding the request accepts, with the headers that say so. */
async function compressForClient(request: FastifyRequest, reply: FastifyReply, body: Buffer): Promise<Buffer> {
  reply.header('vary', 'accept-encoding');
  const encoding = chooseEncoding(request.headers['accept-encoding']);
  if (encoding === 'identity') return body;
  const compressed = encoding === 'br' ? await brotli(body, { params: BROTLI_PARAMS }) : await gzipAsync(body, { level: GZIP_LEVEL });
  reply.header('content-encoding', encoding);
  reply.removeHeader('content-length');
  return compressed;
}

/**
 * A body sent as it is written, in the best encoding the request accepts
 * (with the headers that say so): `flush()` sends what was written so far
 * at once, as a part the browser can already use.
 */
export function compressingStream(request: FastifyRequest, reply: FastifyReply): { stream: Transform; flush: () => void } {
  reply.header('vary', 'accept-encoding');
  const encoding = chooseEncoding(request.headers['accept-encoding']);
  if (encoding === 'identity') return { stream: new PassThrough(), flush: () => undefined };
  reply.header('content-encoding', encoding);
  const stream = encoding === 'br' ? createBrotliCompress({ params: BROTLI_PARAMS }) : createGzip({ level: GZIP_LEVEL });
  return { stream, flush: () => stream.flush() };
}
