/**
 * Serves the web UI: `webui/index.html`, its modules under /ui/, and the few
 * browser libraries it uses under /vendor/, straight from node_modules (no
 * build step, nothing fetched from the internet at run time). These routes
 * are public (the page shows the sign-in form; the data comes from /api/).
 * The page carries a Content-Security-Policy that lets it run only our own
 * scripts and its import map (allowed by its hash), talk only to us, and be
 * framed by nobody.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PUBLIC } from '../auth/route-access.ts';

const WEBUI_DIR = fileURLToPath(new URL('../../../webui/', import.meta.url));
const requireFromWebui = createRequire(join(WEBUI_DIR, 'package.json'));
/** A package's folder, found from its main entry (not every package exports its package.json). */
function packageDir(name: string): string {
  let dir = dirname(requireFromWebui.resolve(name));
  while (basename(dir) !== name && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The browser libraries, by the name the import map in index.html gives them (a Map: a name like "__proto__" is just not there). */
const VENDOR = new Map<string, () => string>([
  ['preact.mjs', () => join(packageDir('preact'), 'dist/preact.mjs')],
  ['preact-hooks.mjs', () => join(packageDir('preact'), 'hooks/dist/hooks.mjs')],
  ['htm.mjs', () => join(packageDir('htm'), 'dist/htm.mjs')],
  ['htm-preact.mjs', () => join(packageDir('htm'), 'preact/index.mjs')],
  ['uplot.mjs', () => join(packageDir('uplot'), 'dist/uPlot.esm.js')],
  ['uplot.css', () => join(packageDir('uplot'), 'dist/uPlot.min.css')],
  ['luxon.mjs', () => join(packageDir('luxon'), 'build/es6/luxon.mjs')],
]);

/**
 * The page's policy. The import map is the one inline script, allowed by the
 * hash of the text the page really carries; everything else comes from us.
 * Styles set from scripts go through the CSSOM, which the policy allows
 * without 'unsafe-inline'.
 */
export function webUiContentSecurityPolicy(page: string): string {
  const inlineScripts = [...page.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src 'self' ${inlineScripts.join(' ')}`.trim(),
    "style-src 'self'",
    // The favicon is a data: URL.
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export function registerWebUi(app: FastifyInstance): void {
  const send = async (reply: FastifyReply, path: string, cache: string) => {
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return reply.code(404).send({ error: 'not found' });
    }
    return reply.type(TYPES[extname(path)] ?? 'application/octet-stream').header('cache-control', cache).send(body);
  };
  app.get('/', PUBLIC, async (_request, reply) => {
    const page = await readFile(join(WEBUI_DIR, 'index.html'), 'utf8');
    return reply.type(TYPES['.html']!).header('cache-control', 'no-cache').header('content-security-policy', webUiContentSecurityPolicy(page)).send(page);
  });
  app.get<{ Params: { '*': string } }>('/ui/*', PUBLIC, (request, reply) => {
    const path = normalize(join(WEBUI_DIR, 'src', request.params['*']));
    // Nothing outside webui/src, whatever the URL says.
    if (!path.startsWith(join(WEBUI_DIR, 'src') + sep)) return reply.code(404).send({ error: 'not found' });
    return send(reply, path, 'no-cache');
  });
  app.get<{ Params: { name: string } }>('/vendor/:name', PUBLIC, (request, reply) => {
    const locate = VENDOR.get(request.params.name);
    if (!locate) return reply.code(404).send({ error: 'not found' });
    return send(reply, locate(), 'public, max-age=86400');
  });
}
