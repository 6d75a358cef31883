/**
 * The web UI as one module: `webui/src/app.js` and everything it imports
 * (our modules and the browser libraries), bundled and minified by esbuild
 * into `/ui/app.<content hash>.js`, with its source map beside it. One
 * file the browser keeps for good instead of some thirty modules it had to
 * fetch, parse and link one by one: that linking alone took about 130 ms of
 * every page load.
 *
 * Built at the first page that asks (by esbuild in a short-lived process,
 * nothing written to disk), and again when a file under webui/src changes
 * (the page looks at their modification times), so
 * editing the web UI needs no build step: reload the page. Where esbuild is
 * missing or the build fails, the page loads the modules as they are
 * (webui-routes.ts) and the failure is logged once per change.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import type { BuildOptions } from 'esbuild';
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
    const result = await buildAside({
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
    const script = result.find((f) => f.path.endsWith('.js'));
    const map = result.find((f) => f.path.endsWith('.js.map'));
    if (!script || !map) throw new Error(`esbuild gave ${result.map((f) => f.path).join(', ')}, not a script and its map`);
    const name = `app.${createHash('sha256').update(script.text).digest('base64url').slice(0, 16)}.js`;
    // 'external' writes no comment: developer tools find the map by this one.
    const code = Buffer.from(`${script.text}//# sourceMappingURL=${name}.map\n`);
    const [prepared, sourceMap] = await Promise.all([prepare(code), prepare(Buffer.from(map.text))]);
    return { name, script: prepared, sourceMap };
  }
}

/**
 * Runs esbuild in a short-lived Node process of its own: its asynchronous API
 * would keep an esbuild process running in ours for good (some 40 MB, for a
 * build made once per start), and stopping it could stop a build someone else
 * in this process runs (tsx, the poller's bundle), which shares the instance.
 * A worker thread does not do either: its esbuild process stays behind
 * unreaped when the thread ends. The script is given as text, so the built
 * backend, one file, needs no file beside it.
 */
async function buildAside(options: BuildOptions): Promise<{ path: string; text: string }[]> {
  const esbuildPath = createRequire(import.meta.url).resolve('esbuild');
  const script = `
    const [esbuildPath, options] = process.argv.slice(1);
    require(esbuildPath).build(JSON.parse(options)).then(
      (result) => process.stdout.write(JSON.stringify(result.outputFiles.map((f) => ({ path: f.path, text: f.text })))),
      (err) => { process.stderr.write(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
    );`;
  try {
    const { stdout } = await execFileAsync(process.execPath, ['-e', script, esbuildPath, JSON.stringify(options)], {
      maxBuffer: MAX_OUTPUT_BYTES,
      // Plain Node: nothing of ours in NODE_OPTIONS (a loader like tsx) for a script that needs none.
      env: { PATH: process.env.PATH ?? '' },
    });
    return JSON.parse(stdout) as { path: string; text: string }[];
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw stderr ? new Error(stderr.trim()) : err;
  }
}

/** The bundle and its map with the sources, as JSON: a few MB at most (some 1 MB today). */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const execFileAsync = promisify(execFile);
