/**
 * The web UI's files as they are sent: read once (again only when the file
 * changes on disk), with an ETag from their content and their brotli and
 * gzip forms made once, so a browser downloads a page's 500 KB of JavaScript
 * and CSS as about a fifth of that, and asks again with
 * If-None-Match and gets an empty 304 when nothing changed.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface PreparedFile {
  etag: string;
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

const brotli = promisify(brotliCompress);
const BROTLI_QUALITY = 6;
const gzipAsync = promisify(gzip);

/** Files below this are sent as they are: compressing them saves less than the headers cost. */
const MIN_COMPRESS_BYTES = 512;

export class CompressedFiles {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; file: PreparedFile }>();

  /** The file, prepared; undefined when it cannot be read. */
  async get(path: string): Promise<PreparedFile | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    const cached = this.cache.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.file;
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return undefined;
    }
    const file = await prepare(body);
    this.cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, file });
    return file;
  }
}

/**
 * Compressed on libuv's thread pool, not on the event loop: a first request for a library does not hold up the API.
 * A build, which compresses once ahead, may ask for a higher brotli quality.
 */
export async function prepare(body: Buffer, brotliQuality = BROTLI_QUALITY): Promise<PreparedFile> {
  // Brotli at quality 6, not 11: 11 took 1.6 s of CPU for one 250 KB library (luxon, then) (6: 0.05 s) for
  // 12% less, and the first page after a start waited for it. Not 9 either: it holds
  // some 30 MB per file being compressed (6: 5 MB), four at once. gzip -9 is cheap.
  const big = body.length >= MIN_COMPRESS_BYTES;
  const [br, gz] = big
    ? await Promise.all([brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }), gzipAsync(body, { level: 9 })])
    : [body, body];
  return { etag: etagOf(body), identity: body, br, gzip: gz };
}

/** A file compressed ahead (by a build): a form that is the content as it is counts as none (see sendPrepared). */
export function preparedFrom(identity: Buffer, br: Buffer, gzip: Buffer): PreparedFile {
  return { etag: etagOf(identity), identity, br: br.equals(identity) ? identity : br, gzip: gzip.equals(identity) ? identity : gzip };
}

/** A strong ETag from the content. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** The encoding to send: brotli, then gzip, when the request accepts it (q=0 refuses). */
export function chooseEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !/^\s*q=0(\.0*)?\s*$/.test(q ?? ''))
      .map(([name]) => name!.trim().toLowerCase()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return 'identity';
}

/** Answers with the file: 304 when the browser has this version, else the smallest form it accepts. */
export function sendPrepared(request: FastifyRequest, reply: FastifyReply, file: PreparedFile, type: string, cacheControl: string): FastifyReply {
  reply.header('etag', file.etag).header('cache-control', cacheControl).header('vary', 'accept-encoding');
  const known = request.headers['if-none-match'];
  if (known !== undefined && known.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) return reply.code(304).send();
  const encoding = chooseEncoding(request.headers['accept-encoding']);
  const body = encoding === 'identity' ? file.identity : file[encoding];
  if (body !== file.identity) reply.header('content-encoding', encoding);
  return reply.type(type).send(body);
}
