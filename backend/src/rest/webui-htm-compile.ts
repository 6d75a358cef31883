/**
 * The web UI's templates (htm's html`<div class=${c}>…</div>`) turned
 * into the calls they make (`h('div', { class: c }, …)`) as the web UI is
 * bundled. htm reads each template's text the first time it runs, in every
 * new browser tab: 12-30 ms of a page's first render went to reading the
 * templates it uses. The calls are found by htm itself, run here on the
 * template's text with a stand-in for each value, so they are the calls
 * htm would make. A template this cannot turn into calls (none today;
 * webui-htm-compile.test.ts says so) stays as it is, for htm in the
 * browser.
 *
 * Self-contained, as the text of a function for the build's own process
 * (webui-bundle.ts), like webui-source-rewrites.ts.
 */

/**
 * The compiler's version, part of the web UI bundle's fingerprint (webui-bundle.ts): raise it with any change to what
 * the compiler writes, so that a bundle built ahead by the older one is not served. Not the function's text, which
 * differs between the backend run from its sources and the built backend, minified: that made every started backend
 * find the bundle built ahead stale and bundle again in memory.
 */
export const HTM_COMPILER_VERSION = 1;

/** What the compiler needs, from the build's process: acorn's parse, and htm. */
export interface HtmCompileTools {
  parse: (source: string, options: { ecmaVersion: 'latest'; sourceType: 'module' }) => unknown;
  htm: (this: (type: unknown, props: Record<string, unknown> | null, ...children: unknown[]) => unknown, statics: readonly string[], ...fields: unknown[]) => unknown;
}

export interface HtmCompileResult {
  code: string;
  /** How many templates became calls. */
  compiled: number;
  /** The templates left to htm, each with why (its line and the reason). */
  left: string[];
}

/**
 * `source` (a module) with each html`` template of htm/preact's `html` turned into
 * Preact `h` calls, on the same lines (so the source map still points near them).
 */
export function compileHtmTemplates(source: string, tools: HtmCompileTools): HtmCompileResult {
  /** The name the calls use for Preact's `h`, imported at the end of a module that has any. */
  const H = '__vantage_h';
  interface SyntaxNode {
    type: string;
    start: number;
    end: number;
    [key: string]: unknown;
  }
  interface TemplateNode extends SyntaxNode {
    tag: { type: string; name?: string };
    quasi: { quasis: { start: number; end: number; value: { cooked: string | null | undefined } }[]; expressions: SyntaxNode[] };
  }
  const isNode = (value: unknown): value is SyntaxNode => typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
  const ast = tools.parse(source, { ecmaVersion: 'latest', sourceType: 'module' }) as SyntaxNode & { body: SyntaxNode[] };
  // Only where `html` is htm/preact's own.
  const importsHtml = ast.body.some(
    (node) =>
      node.type === 'ImportDeclaration' &&
      (node.source as { value?: unknown }).value === 'htm/preact' &&
      (node.specifiers as { imported?: { name?: string }; local: { name: string } }[]).some((s) => s.imported?.name === 'html' && s.local.name === 'html'),
  );
  if (!importsHtml) return { code: source, compiled: 0, left: [] };

  const templates: TemplateNode[] = [];
  const walk = (node: SyntaxNode) => {
    if (node.type === 'TaggedTemplateExpression' && (node as TemplateNode).tag.type === 'Identifier' && (node as TemplateNode).tag.name === 'html') templates.push(node as TemplateNode);
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) for (const item of value) if (isNode(item)) walk(item);
      if (isNode(value)) walk(value);
    }
  };
  walk(ast);
  templates.sort((a, b) => a.start - b.start);

  const lineOf = (offset: number) => source.slice(0, offset).split('\n').length;
  const newlines = (text: string) => text.split('\n').length - 1;
  const left: string[] = [];
  let compiled = 0;
  /** Thrown for a template whose calls could not be written: it is left to htm. */
  class NotCompiled extends Error {}

  /** The text from `start` to `end`, each outermost template in it turned into calls. */
  const rewrite = (start: number, end: number): string => {
    let out = '';
    let at = start;
    for (const template of templates) {
      if (template.start < at || template.end > end) continue; // outside, or inside one already done
      out += source.slice(at, template.start) + compile(template);
      at = template.end;
    }
    return out + source.slice(at, end);
  };

  const compile = (template: TemplateNode): string => {
    const original = source.slice(template.start, template.end);
    const { quasis, expressions } = template.quasi;
    const fields = expressions.map((e) => rewrite(e.start, e.end));
    try {
      const statics = quasis.map((q) => q.value.cooked);
      if (statics.some((s) => typeof s !== 'string' || s.includes('\uE000'))) throw new NotCompiled('a text htm would not read as written');
      const TOKEN = /\uE000(\d+)\uE000/;
      /** The stand-in for a value: itself where htm passes a value on, its token where htm makes it part of a text, a key of its own where htm spreads it. */
      class Field {
        constructor(readonly index: number) {
          Object.defineProperty(this, 'index', { enumerable: false });
          (this as unknown as Record<string, boolean>)[`\uE000spread${index}\uE000`] = true;
        }
        toString() {
          return `\uE000${this.index}\uE000`;
        }
      }
      class Call {
        constructor(readonly code: string) {}
      }
      const fieldCode = (index: number) => `(${fields[index]})`;
      const textCode = (text: string) => {
        if (!TOKEN.test(text)) return JSON.stringify(text);
        // A value within a text: the text, put together as htm does ("a " + value + " b").
        const parts = text.split(/\uE000(\d+)\uE000/);
        return `(${['""', ...parts.map((part, i) => (i % 2 === 1 ? fieldCode(Number(part)) : part === '' ? null : JSON.stringify(part))).filter((p) => p !== null)].join(' + ')})`;
      };
      const valueCode = (value: unknown): string => {
        if (value instanceof Field) return fieldCode(value.index);
        if (value instanceof Call) return value.code;
        if (typeof value === 'string') return textCode(value);
        if (Array.isArray(value)) return `[${value.map(valueCode).join(', ')}]`;
        if (value === true || value === false || value === null || value === undefined || typeof value === 'number') return String(value);
        throw new NotCompiled(`a value of type ${typeof value}`);
      };
      const h = (type: unknown, props: Record<string, unknown> | null, ...children: unknown[]) => {
        let typeCode: string;
        if (type instanceof Field) typeCode = fieldCode(type.index);
        else if (typeof type === 'string' && !TOKEN.test(type)) typeCode = JSON.stringify(type);
        else throw new NotCompiled('a tag name made of text and a value');
        let propsCode = 'null';
        if (props) {
          const groups: string[] = [];
          let current: string[] = [];
          for (const [key, value] of Object.entries(props)) {
            const spread = /^\uE000spread(\d+)\uE000$/.exec(key);
            if (spread) {
              if (current.length) groups.push(`{ ${current.join(', ')} }`);
              current = [];
              groups.push(fieldCode(Number(spread[1])));
            } else if (key.includes('\uE000')) throw new NotCompiled('an attribute name made of a value');
            else current.push(`${JSON.stringify(key)}: ${valueCode(value)}`);
          }
          if (current.length) groups.push(`{ ${current.join(', ')} }`);
          // Spread values are merged in order, as htm merges them (Object.assign).
          propsCode = groups.length === 1 && groups[0]!.startsWith('{') ? groups[0]! : `Object.assign({}, ${groups.join(', ')})`;
        }
        return new Call(`${H}(${[typeCode, propsCode, ...children.map(valueCode)].join(', ')})`);
      };
      const result = tools.htm.call(h, [...(statics as string[])], ...fields.map((_, i) => new Field(i)));
      const code = `(${valueCode(result)})`;
      compiled++;
      // As many lines as the template had: the lines after it keep their numbers.
      return code + '\n'.repeat(Math.max(0, newlines(original) - newlines(code)));
    } catch (err) {
      if (!(err instanceof NotCompiled)) throw err;
      left.push(`line ${lineOf(template.start)}: ${err.message}`);
      // Left as it is, but for its values' own templates.
      return `html\`${quasis.map((q, i) => source.slice(q.start, q.end) + (i < fields.length ? `\${${fields[i]}}` : '')).join('')}\``;
    }
  };

  const code = rewrite(0, source.length);
  // Import declarations are hoisted: at the end, the lines above keep their numbers.
  return { code: compiled > 0 ? `${code}\nimport { h as ${H} } from 'preact';\n` : code, compiled, left };
}

/**
 * The compiler as the text of an esbuild plugin for the build's own process:
 * `htmPlugin({ srcDir, acornPath, htmPath })` there compiles the templates of
 * every module under `srcDir` (the web UI's own, not the libraries').
 */
export const HTM_PLUGIN_SOURCE = `
  // What a function's text may call when its build kept the names of functions and classes (tsx does).
  var __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true });
  const compileHtmTemplates = ${compileHtmTemplates.toString()};
  const htmPlugin = ({ srcDir, acornPath, htmPath }) => ({
    name: 'htm-templates',
    setup(build) {
      const tools = { parse: require(acornPath).parse, htm: require(htmPath) };
      build.onLoad({ filter: /\\.js$/ }, async (args) => {
        if (!args.path.startsWith(srcDir)) return undefined;
        let compiled;
        try {
          compiled = compileHtmTemplates(await require('node:fs/promises').readFile(args.path, 'utf8'), tools);
        } catch (err) {
          // A module that does not parse: esbuild reads it as it is, and says what is wrong where.
          if (err instanceof SyntaxError) return undefined;
          throw err;
        }
        const { code, left } = compiled;
        return { contents: code, loader: 'js', warnings: left.map((text) => ({ text: 'a template left to htm: ' + text })) };
      });
    },
  });`;
