// How a monitor declares its parameters: one table of names and kinds (with
// ranges, allowed values and defaults), read once into typed values when a
// package arrives or the configuration loads. Every problem is a
// ParameterError whose message names the parameter.
import { errorMessage } from '@vantage/runtime';

/** A service's parameters as the configuration gives them: key → text. */
export type RawParams = Readonly<Record<string, string>>;

/** A service parameter that is unknown, missing or malformed; its message names the parameter. */
export class ParameterError extends Error {
  /**
   * The key of the parameter at fault, when the problem is about one
   * parameter that is there (blank or not); undefined for a missing one or for
   * two that go together, so that the configuration reader points at the service instead.
   */
  readonly parameter: string | undefined;

  constructor(message: string, parameter?: string) {
    super(message);
    this.name = 'ParameterError';
    this.parameter = parameter;
  }
}

/**
 * How a parameter's text is taken: `trimmed` (surrounding spaces dropped, a
 * blank value means "use the default"), `spaced` (as written, since spaces may
 * matter; a blank value still means the default) or `exact` (as written; only
 * an empty value means the default).
 */
export type TextForm = 'trimmed' | 'spaced' | 'exact';

/** One declared parameter (or family of parameters) and how its text becomes a value. */
export interface Parameter<T> {
  /** Reads it from `params` under `name`; throws a {@link ParameterError} naming it. */
  read(params: RawParams, name: string): T;
  /** For a family (`header0`, `header1`, …): which keys belong to it. */
  readonly pattern?: RegExp;
}

/** The text of `name` in `params` taken as `form` says, or undefined when absent or blank. */
function textOf(params: RawParams, name: string, form: TextForm): string | undefined {
  // Own properties only: a parameter called "constructor" must not read Object.prototype.
  if (!Object.hasOwn(params, name)) return undefined;
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (form === 'exact') return value;
  if (form === 'spaced') return value.trim() === '' ? undefined : value;
  return value.trim() || undefined;
}

/**
 * A single named parameter: its text converted by `convert`, or undefined
 * when it is absent or blank. {@link Scalar.default} and
 * {@link Scalar.required} say what absence means instead.
 */
export class Scalar<T> implements Parameter<T | undefined> {
  constructor(
    private readonly convert: (text: string, name: string) => T,
    private readonly form: TextForm = 'trimmed',
  ) {}

  read(params: RawParams, name: string): T | undefined {
    const text = textOf(params, name, this.form);
    return text === undefined ? undefined : this.convert(text, name);
  }

  /** The same parameter, `value` when absent or blank. */
  default(value: T): Parameter<T> {
    return { read: (params, name) => this.read(params, name) ?? value };
  }

  /** The same parameter, refused when absent or blank. */
  required(): Parameter<T> {
    return {
      read: (params, name) => {
        const text = textOf(params, name, this.form);
        // A blank value is the parameter at fault; a missing one is not there to point at.
        if (text === undefined) throw new ParameterError(`parameter "${name}" is required`, Object.hasOwn(params, name) ? name : undefined);
        return this.convert(text, name);
      },
    };
  }

  /** The same parameter with `next` applied to its value: a further check or conversion. */
  map<U>(next: (value: T, name: string) => U): Scalar<U> {
    return new Scalar((text, name) => next(this.convert(text, name), name), this.form);
  }
}

/** Compiles a regular expression from parameter `name`; a bad one is a ParameterError naming it. */
export function compileRegex(name: string, source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new ParameterError(`parameter "${name}" is not a valid regular expression: ${errorMessage(err)}`, name);
  }
}

/** "a" or "b" for two choices; one of a, b, c for more. */
function choices(values: readonly string[]): string {
  return values.length === 2 ? `"${values[0]}" or "${values[1]}"` : `one of ${values.join(', ')}`;
}

const ESCAPES: Readonly<Record<string, string>> = { r: '\r', n: '\n', t: '\t', '\\': '\\' };

/** The kinds of parameter, each with the wording of its error. */
export const param = {
  /** Any text; `form` says whether spaces count. */
  text(form: TextForm = 'trimmed'): Scalar<string> {
    return new Scalar((text) => text, form);
  },

  /** A whole number from `min` to `max` (no upper bound when `max` is absent). */
  int(range: { min: number; max?: number }): Scalar<number> {
    return new Scalar((text, name) => {
      const value = /^[+]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
        const expected =
          range.max === undefined ? `an integer of at least ${range.min}` : `an integer from ${range.min} to ${range.max}`;
        throw new ParameterError(`parameter "${name}" must be ${expected}, got "${text}"`, name);
      }
      return value;
    });
  },

  /** A TCP or UDP port, 1-65535. */
  port(): Scalar<number> {
    return param.int({ min: 1, max: 65535 });
  },

  /** "true" or "false", in any case. */
  boolean(): Scalar<boolean> {
    return new Scalar((text, name) => {
      const lower = text.toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
      throw new ParameterError(`parameter "${name}" must be "true" or "false", got "${text}"`, name);
    });
  },

  /** One of `values`, compared after `fold` changes the case of what was written. */
  oneOf<const V extends string>(values: readonly V[], fold: 'upper' | 'lower'): Scalar<V> {
    return new Scalar((text, name) => {
      const folded = fold === 'upper' ? text.toUpperCase() : text.toLowerCase();
      const value = values.find((v) => v === folded);
      if (value === undefined) throw new ParameterError(`parameter "${name}" must be ${choices(values)}, got "${text}"`, name);
      return value;
    });
  },

  /** A regular expression (searched for, not anchored). */
  regex(options: { flags?: string; form?: TextForm } = {}): Scalar<RegExp> {
    return new Scalar((text, name) => compileRegex(name, text, options.flags), options.form ?? 'spaced');
  },

  /** Text converted by `convert`, which throws a ParameterError naming the parameter when it does not fit. */
  custom<T>(convert: (text: string, name: string) => T, form: TextForm = 'trimmed'): Scalar<T> {
    return new Scalar(convert, form);
  },

  /**
   * A family of parameters: every key matching `pattern`, whose first group is
   * a number (`header0`, `header1`, …), converted by `convert` and listed in
   * number order. Blank ones are left out.
   */
  family<T>(pattern: RegExp, convert: (text: string, key: string) => T): Parameter<T[]> {
    return {
      pattern,
      read(params) {
        const found: Array<{ index: number; value: T }> = [];
        for (const key of Object.keys(params)) {
          const match = pattern.exec(key);
          const text = match ? textOf(params, key, 'trimmed') : undefined;
          if (text !== undefined) found.push({ index: Number(match![1]), value: convert(text, key) });
        }
        return found.sort((a, b) => a.index - b.index).map((f) => f.value);
      },
    };
  },

  /**
   * A banner pattern as OpenNMS writes it: a regular expression the banner
   * must contain a match of; "*" (any banner) gives undefined, and a leading
   * "~" (OpenNMS's regular-expression marker) is dropped.
   */
  banner(): Scalar<RegExp | undefined> {
    return new Scalar((text, name) => {
      if (text === '*') return undefined;
      const source = text.startsWith('~') ? text.slice(1) : text;
      if (source === '') throw new ParameterError(`parameter "${name}" must be a regular expression, got "${text}"`, name);
      return compileRegex(name, source);
    });
  },

  /**
   * Text to send, with the escapes \r, \n, \t and \\ (configuration files
   * cannot hold a line end otherwise).
   */
  sendText(): Scalar<string> {
    return new Scalar(
      (text, name) =>
        text.replace(/\\(.?)/gs, (escape, char: string) => {
          const replacement = Object.hasOwn(ESCAPES, char) ? ESCAPES[char] : undefined;
          if (replacement === undefined) {
            throw new ParameterError(`parameter "${name}" has the unknown escape "${escape}"; use \\r, \\n, \\t or \\\\`, name);
          }
          return replacement;
        }),
      'spaced',
    );
  },

  /** Text sent as one protocol line: trimmed, without line ends or other control characters. */
  line(): Scalar<string> {
    return new Scalar((text, name) => {
      if (/\p{Cc}/u.test(text)) throw new ParameterError(`parameter "${name}" must not contain line ends or control characters`, name);
      return text;
    });
  },
};

/**
 * OpenNMS's text-or-pattern convention: a value starting with "~" is a
 * regular expression, anything else is compared by `literal`.
 */
export function textOrRegex(
  name: string,
  value: string,
  literal: (candidate: string) => boolean,
): (candidate: string) => boolean {
  if (!value.startsWith('~')) return literal;
  const pattern = compileRegex(name, value.slice(1));
  return (candidate) => pattern.test(candidate);
}

type Declared = Readonly<Record<string, Parameter<unknown>>>;

/** The typed values a table reads: one property per declared name. */
export type ValuesOf<D extends Declared> = { readonly [K in keyof D]: D[K] extends Parameter<infer T> ? T : never };

/**
 * A monitor's parameters, declared once. Families are declared under the
 * name they are shown with, e.g. `'header<N>': param.family(/^header(\d+)$/, …)`.
 */
export class ParameterTable<V> {
  /** Every declared name, families as shown ("header<N>"), sorted. */
  readonly names: readonly string[];
  readonly #declared: Declared;
  readonly #single: ReadonlySet<string>;
  readonly #patterns: readonly RegExp[];

  constructor(declared: Declared) {
    this.#declared = declared;
    this.names = Object.keys(declared).sort();
    const entries = Object.entries(declared);
    this.#single = new Set(entries.filter(([, p]) => p.pattern === undefined).map(([name]) => name));
    this.#patterns = entries.flatMap(([, p]) => (p.pattern === undefined ? [] : [p.pattern]));
  }

  /** Whether `key` is one of these parameters. */
  knows(key: string): boolean {
    return this.#single.has(key) || this.#patterns.some((pattern) => pattern.test(key));
  }

  /** Reads every declared parameter, in declaration order; the first problem throws. Keys it does not know are not its business. */
  read(params: RawParams): V {
    const values: Record<string, unknown> = {};
    for (const [name, parameter] of Object.entries(this.#declared)) values[name] = parameter.read(params, name);
    return values as V;
  }
}

/** Declares a parameter table; the values it reads are typed after the declaration. */
export function defineParameters<D extends Declared>(declared: D): ParameterTable<ValuesOf<D>> {
  return new ParameterTable<ValuesOf<D>>(declared);
}
