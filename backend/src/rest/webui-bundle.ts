/**
 * The web UI as one module: `webui/src/app.js` and everything it imports
 * (our modules and the browser libraries), bundled and minified by esbuild
 * into `/ui/app.<content hash>.js`, with its source map beside it. One
 * file the browser keeps for good instead of some thirty modules it had to
 * fetch, parse and link one by one: that linking alone took about 130 ms of
 * every page load.
 *
 * Built in memory at the first page that asks, and again when a file under
 * webui/src changes (the page looks at their modification times), so
 * editing the web UI needs no build step: reload the page. Where esbuild is
 * missing or the build fails, the page loads the modules as they are
 * (webui-routes.ts) and the failure is logged once per change.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { prepare, type PreparedFile } from './compressed-files.ts';

export interface WebUiBundle {
  /** The file name under /ui/: `app.<hash>.js`. */
  name: string;
  script: PreparedFile;
  /** `<name>.map`: the source map (with the sources), which browsers fetch only when their developer tools are open. */
  sourceMap: PreparedFile;
}

/** Browsers the bundle is written for: what the web UI already needs (modules, import maps, optional chaining). */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

export class WebUiBundler {
  private built: { fingerprint: string; bundle: Promise<WebUiBundle | undefined> } | undefined;

  constructor(
    private readonly srcDir: string,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** The bundle of the sources as they are now (built when they changed), or undefined when it cannot be built. */
  async current(): Promise<WebUiBundle | undefined> {
    const fingerprint = await this.sourcesFingerprint();
    if (this.built?.fingerprint !== fingerprint) {
      const bundle = this.build().catch((err: unknown) => {
        this.log.warn({ err }, 'bundling the web UI failed; the page loads its modules one by one');
        return undefined;
      });
      this.built = { fingerprint, bundle };
    }
    return this.built.bundle;
  }

  /** The bundle with this name, if it is the current one (an older name is not kept). */
  async named(name: string): Promise<{ file: PreparedFile; kind: 'script' | 'map' } | undefined> {
    const bundle = await this.current();
    if (!bundle) return undefined;
    if (name === bundle.name) return { file: bundle.script, kind: 'script' };
    if (name === `${bundle.name}.map`) return { file: bundle.sourceMap, kind: 'map' };
    return undefined;
  }

  /** Every source file's path, size and modification time: a change to any of them makes a new bundle. */
  private async sourcesFingerprint(): Promise<string> {
    const entries = (await readdir(this.srcDir, { recursive: true })).filter((e) => e.endsWith('.js')).sort();
    const parts = await Promise.all(
      entries.map(async (e) => {
        const info = await stat(join(this.srcDir, e)).catch(() => undefined);
        return `${e.split(sep).join('/')}:${info?.size ?? '-'}:${info?.mtimeMs ?? '-'}`;
      }),
    );
    return parts.join('\n');
  }

  private async build(): Promise<WebUiBundle> {
    // Loaded only when a page is asked for: a backend serving only the API never starts esbuild.
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(this.srcDir, 'app.js')],
      bundle: true,
      minify: true,
      format: 'esm',
      target: TARGETS,
      platform: 'browser',
      sourcemap: 'external',
      sourcesContent: true,
      outfile: join(this.srcDir, 'app.bundle.js'),
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const script = result.outputFiles.find((f) => f.path.endsWith('.js'));
    const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
    if (!script || !map) throw new Error(`esbuild gave ${result.outputFiles.map((f) => f.path).join(', ')}, not a script and its map`);
    const name = `app.${createHash('sha256').update(script.contents).digest('base64url').slice(0, 16)}.js`;
    // 'external' writes no comment: developer tools find the map by this one.
    const code = Buffer.from(`${script.text}//# sourceMappingURL=${name}.map\n`);
    const [prepared, sourceMap] = await Promise.all([prepare(code), prepare(Buffer.from(map.contents))]);
    return { name, script: prepared, sourceMap };
  }
}
