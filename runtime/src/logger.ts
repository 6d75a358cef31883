/**
 * A small leveled logger writing one line per message: time, level, component
 * and text. Enough for a service run under systemd or a terminal.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  child(component: string): Logger;
  setLevel(level: LogLevel): void;
}

export function createLogger(component: string, level: LogLevel = 'info', write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const state = { level };
  const make = (name: string): Logger => {
    const emit = (at: LogLevel, message: string) => {
      if (ORDER[at] > ORDER[state.level]) return;
      write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${name}: ${message}\n`);
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
