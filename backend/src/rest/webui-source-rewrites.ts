/**
 * Statements of the browser libraries rewritten as the web UI is bundled.
 * Today one: uPlot makes an Intl number formatter and reads the time zone
 * through Intl when its module is evaluated, which a service's page does
 * just before its first render; the first Intl use in a new browser tab
 * costs tens of milliseconds (ICU loading its locale data). Our charts
 * format their own axes and legend, so uPlot's formatter and zone are made
 * when first used instead, if ever. A library whose text no longer holds a
 * statement is bundled as it is (webui-source-rewrites.test.ts says so).
 */

export interface SourceRewrite {
  /** A regular expression (source text) for the files' paths, as esbuild's onLoad filter takes it. */
  filter: string;
  /** Each exact text and what it becomes. */
  replace: [from: string, to: string][];
}

export const SOURCE_REWRITES: SourceRewrite[] = [
  {
    filter: String.raw`[\\/]uplot[\\/]dist[\\/]uPlot\.esm\.js$`,
    replace: [
      [
        "const numFormatter = new Intl.NumberFormat(domEnv ? nav.language : 'en-US');\nconst fmtNum = val => numFormatter.format(val);",
        "let numFormatter;\nconst fmtNum = val => (numFormatter ??= new Intl.NumberFormat(domEnv ? nav.language : 'en-US')).format(val);",
      ],
      ['const localTz = new Intl.DateTimeFormat().resolvedOptions().timeZone;', 'let localTz;'],
      ['else if (tz == localTz)', 'else if (tz == (localTz ??= new Intl.DateTimeFormat().resolvedOptions().timeZone))'],
    ],
  },
];

/** `text` with the rewrites applied, and those whose text was not found. */
export function applyRewrites(text: string, rewrite: SourceRewrite): { text: string; missing: string[] } {
  const missing: string[] = [];
  for (const [from, to] of rewrite.replace) {
    if (text.includes(from)) text = text.replace(from, to);
    else missing.push(from);
  }
  return { text, missing };
}

/**
 * The same, as the text of an esbuild plugin for the build's own process
 * (webui-bundle.ts runs esbuild in a short-lived Node process, given its
 * script as text): `rewritePlugin(rewrites)` there makes the plugin.
 */
export const REWRITE_PLUGIN_SOURCE = `
  const applyRewrites = ${applyRewrites.toString()};
  const rewritePlugin = (rewrites) => ({
    name: 'source-rewrites',
    setup(build) {
      for (const rewrite of rewrites) {
        build.onLoad({ filter: new RegExp(rewrite.filter) }, async (args) => {
          const { text } = applyRewrites(await require('node:fs/promises').readFile(args.path, 'utf8'), rewrite);
          return { contents: text, loader: 'js' };
        });
      }
    },
  });`;
