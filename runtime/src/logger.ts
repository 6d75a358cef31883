/**
 * A small leveled logger writing one line per message: time, level, component
 * and text (or, in `json` format, one JSON object per line). Enough for a
 * service run under systemd or a terminal.
 *
 * Every message is one line whatever it holds: values that come from the
 * network (a poller's name, a check's reason) can carry newlines or terminal
 * escapes, and must not be able to forge log lines or rewrite a terminal.
 * Control characters are written as escapes (`\n`, `\x1b`, `\u2028`); JSON
 * lines escape them by JSON's own rules.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type LogFormat = 'text' | 'json';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  child(component: string): Logger;
  setLevel(level: LogLevel): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go (each ends in a newline); standard output by default. */
  write?: (line: string) => void;
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The text with every control character written as a visible escape. */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`));
}

export function createLogger(
  component: string,
  levelOrOptions: LogLevel | LoggerOptions = 'info',
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const options: LoggerOptions = typeof levelOrOptions === 'string' ? { level: levelOrOptions, write } : { write, ...levelOrOptions };
  const state = { level: options.level ?? 'info' };
  const out = options.write ?? write;
  const format = options.format ?? 'text';
  const make = (name: string): Logger => {
    const emit = (at: LogLevel, message: string) => {
      if (ORDER[at] > ORDER[state.level]) return;
      const time = new Date().toISOString();
      if (format === 'json') {
        out(`${JSON.stringify({ time, level: at, component: name, message }).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`);
      } else {
        out(`${time} ${at.toUpperCase().padEnd(5)} ${escapeControlCharacters(name)}: ${escapeControlCharacters(message)}\n`);
      }
    };
    return {
      error: (m) => emit('error', m),
      warn: (m) => emit('warn', m),
      info: (m) => emit('info', m),
      debug: (m) => emit('debug', m),
      child: (sub) => make(`${name}.${sub}`),
      setLevel: (l) => {
        state.level = l;
      },
    };
  };
  return make(component);
}
