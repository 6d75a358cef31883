/**
 * Serves the web UI: `webui/index.html`, its modules under /ui/, and the few
 * browser libraries it uses under /vendor/, straight from node_modules (no
 * build step, nothing fetched from the internet at run time).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

const WEBUI_DIR = fileURLToPath(new URL('../../../webui/', import.meta.url));
const requireFromWebui = createRequire(join(WEBUI_DIR, 'package.json'));
/** A package's folder, found from its main entry (not every package exports its package.json). */
function packageDir(name: string): string {
  let dir = dirname(requireFromWebui.resolve(name));
  while (basename(dir) !== name && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The browser libraries, by the name the import map in index.html gives them. */
const VENDOR: Record<string, () => string> = {
  'preact.mjs': () => join(packageDir('preact'), 'dist/preact.mjs'),
  'preact-hooks.mjs': () => join(packageDir('preact'), 'hooks/dist/hooks.mjs'),
  'htm.mjs': () => join(packageDir('htm'), 'dist/htm.mjs'),
  'htm-preact.mjs': () => join(packageDir('htm'), 'preact/index.mjs'),
  'uplot.mjs': () => join(packageDir('uplot'), 'dist/uPlot.esm.js'),
  'uplot.css': () => join(packageDir('uplot'), 'dist/uPlot.min.css'),
  'luxon.mjs': () => join(packageDir('luxon'), 'build/es6/luxon.mjs'),
};

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
    try {
      const body = await readFile(path);
      return reply.type(TYPES[extname(path)] ?? 'application/octet-stream').header('cache-control', cache).send(body);
    } catch {
      return reply.code(404).send({ error: 'not found' });
    }
  };
  app.get('/', (_request, reply) => send(reply, join(WEBUI_DIR, 'index.html'), 'no-cache'));
  app.get<{ Params: { '*': string } }>('/ui/*', (request, reply) => {
    const path = normalize(join(WEBUI_DIR, 'src', request.params['*']));
    // Nothing outside webui/src, whatever the URL says.
    if (!path.startsWith(join(WEBUI_DIR, 'src') + sep)) return reply.code(404).send({ error: 'not found' });
    return send(reply, path, 'no-cache');
  });
  app.get<{ Params: { name: string } }>('/vendor/:name', (request, reply) => {
    const locate = VENDOR[request.params.name];
    if (!locate) return reply.code(404).send({ error: 'not found' });
    return send(reply, locate(), 'public, max-age=86400');
  });
}
