/**
 * Serves the web UI: `webui/index.html`, at each page's path (webui-pages.ts:
 * with the page's first REST answers in it for a signed-in browser), loading the whole UI as one bundled
 * module (`/ui/app.<hash>.js`, webui-bundle.ts), and, for the page without
 * the bundle and for developers, its modules under /ui/ and the few browser
 * libraries under /vendor/, straight from node_modules (nothing fetched from
 * the internet at run time). These routes are public (the page shows the
 * sign-in form; the data comes from /api/). The page carries a
 * Content-Security-Policy that lets it run only our own scripts and its
 * inline ones (allowed by their hashes), talk only to us, and be framed by
 * nobody.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage, type Logger } from '@vantage/runtime';
import { PUBLIC } from '../auth/route-access.ts';
import { compressingStream } from './api-compression.ts';
import { CompressedFiles, prepare, sendPrepared, type PreparedFile } from './compressed-files.ts';
import { WEBUI_BUNDLE_DIR } from '../../bundle-files.mjs';
import { WebUiBundler, type WebUiBundle } from './webui-bundle.ts';
import { answerElements, answersForPage, earlyRequestsElement, firstAnswerUrls, hasSessionCookie, isServicePage, PAGE_PATHS } from './webui-pages.ts';
import { worldLandGeoJson } from './world-outline.ts';

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
]);

/**
 * The page's policy. Its inline scripts (the early script, the import map)
 * are allowed by the hash of the text the page really carries; everything
 * else comes from us.
 * Styles set from scripts go through the CSSOM, which the policy allows
 * without 'unsafe-inline'.
 */
export function webUiContentSecurityPolicy(page: string): string {
  // Data the page carries (`type="application/json"`) is never run: only the scripts that run need allowing.
  const inlineScripts = [...page.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*\btype="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
  );
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

/** The name the map asks for its world outline by (webui/src/location-map.js). */
const WORLD_OUTLINE = 'world-land.json';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const SRC_DIR = join(WEBUI_DIR, 'src');

/** How long a signed-in page waits for its answers before it sends its beginning without them. */
const STREAM_AFTER_MS = 30;

/** How many versions of the page without a session are kept prepared (one per page kind, and a few service pages). */
const MAX_PLAIN_PAGES = 32;

/** The page's own modules (every .js file under webui/src), as /ui/ paths. */
async function uiModules(): Promise<string[]> {
  const entries = await readdir(SRC_DIR, { recursive: true });
  return entries
    .map((e) => e.split(sep).join('/'))
    .filter((e) => e.endsWith('.js'))
    .sort()
    .map((e) => `/ui/${e}`);
}

/** The version a URL carries: the file's ETag without its quotes (`?v=…`). */
const versionOf = (file: PreparedFile) => file.etag.slice(1, -1);

/** Long-lived: a versioned URL names one content for ever (a new content gets a new URL). */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The stylesheets index.html links, by URL. */
const STYLESHEETS = new Map<string, () => string>([
  ['/ui/styles.css', () => join(SRC_DIR, 'styles.css')],
  ['/vendor/uplot.css', VENDOR.get('uplot.css')!],
]);

/** The stylesheets, each under a versioned URL the browser keeps without asking again. */
async function withVersionedStyles(page: string, files: CompressedFiles): Promise<string> {
  for (const [url, path] of STYLESHEETS) page = page.replace(`="${url}"`, `="${await versioned(files, url, path())}"`);
  return page;
}

const versioned = async (files: CompressedFiles, url: string, path: string) => {
  const file = await files.get(path);
  return file ? `${url}?v=${versionOf(file)}` : url;
};

const IMPORT_MAP = /(<script type="importmap">)([\s\S]*?)(<\/script>)/;

/** index.html as served, before what each request adds (the answers, a chart's library); `chartModule` in the bundle's case. */
interface PageTemplate {
  source: string;
  /** The chart library's module (webui-bundle.ts), under /ui/. */
  chartModule?: string;
}

/**
 * index.html loading the web UI as one bundled module (webui-bundle.ts),
 * whose name carries its content's hash: no import map. The chart
 * library's chunk is named, for the service page to preload (a round trip
 * less before its chart).
 */
async function pageWithBundle(files: CompressedFiles, bundle: WebUiBundle): Promise<PageTemplate> {
  const page = await withVersionedStyles(await readFile(join(WEBUI_DIR, 'index.html'), 'utf8'), files);
  return { source: page.replace(IMPORT_MAP, '').replace('="/ui/app.js"', `="/ui/${bundle.name}"`), chartModule: bundle.chartEntry ? `/ui/${bundle.chartEntry}` : undefined };
}

/**
 * index.html loading the modules one by one (when the bundle cannot be
 * built): every module and stylesheet under a versioned URL
 * (`/ui/api.js?v=…`, through the import map for the modules' own relative
 * imports), which the browser keeps without asking again; and a
 * modulepreload link for each module, so the browser fetches them at once
 * instead of discovering them one import at a time.
 */
async function pageWithModules(files: CompressedFiles): Promise<PageTemplate> {
  let page = await withVersionedStyles(await readFile(join(WEBUI_DIR, 'index.html'), 'utf8'), files);
  page = page.replace('="/ui/app.js"', `="${await versioned(files, '/ui/app.js', join(SRC_DIR, 'app.js'))}"`);
  const mapMatch = IMPORT_MAP.exec(page);
  const map = JSON.parse(mapMatch?.[2] ?? '{"imports":{}}') as { imports: Record<string, string> };
  for (const [name, url] of Object.entries(map.imports)) {
    const locate = VENDOR.get(url.slice('/vendor/'.length));
    if (locate) map.imports[name] = await versioned(files, url, locate());
  }
  for (const module of await uiModules()) map.imports[module] = await versioned(files, module, join(SRC_DIR, module.slice('/ui/'.length)));
  if (mapMatch) page = page.replace(mapMatch[0], `${mapMatch[1]}\n${JSON.stringify(map, null, 2)}\n${mapMatch[3]}`);
  const modules = [...new Set(Object.values(map.imports))];
  const links = modules.map((href) => `<link rel="modulepreload" href="${href}">`).join('\n');
  return { source: page.replace('</head>', `${links}\n</head>`) };
}

/**
 * A page that draws a chart as it shows (a service's page) runs the chart
 * library's module before the app's (module scripts run in the order of the
 * page): the app's first render then has the library at hand. Through the
 * app's own `import()`, it came a task later, after the browser had laid out
 * and painted the page's "Loading" line (a frame and a layout more before
 * the chart).
 */
function withChartLibrary(page: string, chartModule: string): string {
  const app = page.indexOf('<script type="module"');
  if (app < 0) return page;
  return `${page.slice(0, app)}<script type="module" src="${chartModule}"></script>\n${page.slice(app)}`;
}

/** The bundle's file names under /ui/: `app.<hash>.js`, the chart library's entry `chart.<hash>.js`, the chunks `chunk.<hash>.js`, and their `.map`. */
const BUNDLE_NAME = /^(app|chunk|chart)\.[\w-]+\.js(\.map)?$/;

export function registerWebUi(app: FastifyInstance, log: Pick<Logger, 'warn' | 'info'>): void {
  const files = new CompressedFiles();
  const bundler = new WebUiBundler(SRC_DIR, log, WEBUI_BUNDLE_DIR);
  /** `cache` for the plain URL; a URL carrying this content's version is kept for good. */
  const send = async (request: FastifyRequest<{ Querystring: { v?: string } }>, reply: FastifyReply, path: string, cache: string) => {
    const file = await files.get(path);
    if (!file) return reply.code(404).send({ error: 'not found' });
    return sendPrepared(request, reply, file, TYPES[extname(path)] ?? 'application/octet-stream', request.query.v === versionOf(file) ? IMMUTABLE : cache);
  };
  /** The bundle's script, chunk or map under its hashed name, kept for good; an older name is gone. */
  const sendBundle = async (request: FastifyRequest, reply: FastifyReply, name: string) => {
    const found = await bundler.named(name);
    if (!found) return reply.code(404).send({ error: 'not found' });
    return sendPrepared(request, reply, found.file, found.kind === 'script' ? TYPES['.js']! : 'application/json; charset=utf-8', IMMUTABLE);
  };
  // The stylesheets the page links compressed before the first browser asks (on the thread pool, in the
  // background), and the bundle built ahead read; a bundle of edited sources is made at the first page, the separate modules
  // and libraries prepared when asked for.
  void (async () => {
    await bundler.warm();
    for (const path of STYLESHEETS.values()) await files.get(path());
  })().catch((err: unknown) => log.warn(`preparing the web UI files failed; they are prepared at their first request: ${errorMessage(err)}`));

  /** The page as sent without a session (its early script asks for the answers), by content: a few per page kind. */
  const plainPages = new Map<string, PreparedFile>();
  let policy: { source: string; value: string } | undefined;
  const servePage = async (request: FastifyRequest, reply: FastifyReply) => {
    const bundle = await bundler.current();
    const template = bundle ? await pageWithBundle(files, bundle) : await pageWithModules(files);
    if (policy?.source !== template.source) policy = { source: template.source, value: webUiContentSecurityPolicy(template.source) };
    reply.header('content-security-policy', policy.value);
    const urls = firstAnswerUrls(request.url);
    let page = template.source;
    if (template.chartModule && isServicePage(request.url)) page = withChartLibrary(page, template.chartModule);
    if (hasSessionCookie(request)) {
      // The answers that take longer than a moment (the services list of a few hundred, made again) do not hold the
      // page back: all but its end goes out at once (the browser starts its renderer on it and fetches and compiles
      // the scripts, which run once the page is complete), then the answers, when made, and the end. Quicker ones
      // go out with the page in one part, which the browser parses and draws once.
      const answers = answersForPage(app, request, urls).catch((err: unknown) => {
        log.warn(`making the first answers of the page ${request.url} failed; the page asks for them itself: ${errorMessage(err)}`);
        return undefined;
      });
      const ready = await Promise.race([answers.then(() => true), delay(STREAM_AFTER_MS).then(() => false)]);
      const { stream, flush } = compressingStream(request, reply);
      // The signed-in user's data: kept by no cache, and made again at every load.
      reply.header('cache-control', 'no-store').header('vary', 'cookie, accept-encoding').type(TYPES['.html']!);
      const end = page.lastIndexOf('</body>');
      stream.write(page.slice(0, end));
      if (!ready) flush();
      void answers.then((carried) => {
        if (carried) stream.write(`${answerElements(carried)}\n`);
        stream.end(page.slice(end));
      });
      return reply.send(stream);
    }
    // Before the early script, which reads it.
    page = page.replace('\n<script', `\n${earlyRequestsElement(urls)}\n<script`);
    let prepared = plainPages.get(page);
    if (!prepared) {
      prepared = await prepare(Buffer.from(page));
      if (plainPages.size >= MAX_PLAIN_PAGES) plainPages.delete(plainPages.keys().next().value!);
      plainPages.set(page, prepared);
    }
    return sendPrepared(request, reply, prepared, TYPES['.html']!, 'no-cache');
  };
  for (const path of PAGE_PATHS) app.get(path, PUBLIC, servePage);
  app.get<{ Params: { '*': string }; Querystring: { v?: string } }>('/ui/*', PUBLIC, (request, reply) => {
    if (BUNDLE_NAME.test(request.params['*'])) return sendBundle(request, reply, request.params['*']);
    const path = normalize(join(SRC_DIR, request.params['*']));
    // Nothing outside webui/src, whatever the URL says.
    if (!path.startsWith(SRC_DIR + sep)) return reply.code(404).send({ error: 'not found' });
    // Revalidated at each load (an unchanged module answers 304 by its ETag): a new version is seen at once.
    return send(request, reply, path, 'no-cache');
  });
  /** The locations map's world outline (made from world-atlas at its first request), among the libraries. */
  let world: Promise<Awaited<ReturnType<typeof prepare>>> | undefined;
  const worldOutline = () =>
    (world ??= worldLandGeoJson(requireFromWebui)
      .then((json) => prepare(Buffer.from(json)))
      .catch((err: unknown) => {
        world = undefined; // tried again at the next request
        throw err;
      }));
  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/vendor/:name', PUBLIC, async (request, reply) => {
    if (request.params.name === WORLD_OUTLINE) return sendPrepared(request, reply, await worldOutline(), 'application/json; charset=utf-8', 'public, max-age=86400');
    const locate = VENDOR.get(request.params.name);
    if (!locate) return reply.code(404).send({ error: 'not found' });
    return send(request, reply, locate(), 'public, max-age=86400');
  });
}
