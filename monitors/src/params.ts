import { NETWORK_ERROR_WORDS } from '@vantage/common';
import type { PollOutcome } from './monitor.ts';

/** A service parameter that is missing or malformed; its message names the parameter. */
export class ParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ParameterError';
  }
}

/** The result of {@link readParams}: the parsed values, or the UNKNOWN outcome to return. */
export type ParamsRead<T> = { ok: true; value: T } | { ok: false; outcome: PollOutcome };

/**
 * Runs `read`, turning a {@link ParameterError} into an UNKNOWN outcome: a
 * misconfigured service says nothing about the service itself. Other errors
 * are bugs and propagate.
 */
export function readParams<T>(read: () => T): ParamsRead<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    if (err instanceof ParameterError) return { ok: false, outcome: { status: 'UNKNOWN', reason: err.message } };
    throw err;
  }
}

/**
 * A parameter's trimmed value, or undefined when it is absent or blank: a
 * blank value in the configuration means "use the default", not "invalid".
 */
export function stringParam(params: Readonly<Record<string, string>>, name: string): string | undefined {
  // Own properties only: a parameter called "constructor" must not read Object.prototype.
  if (!Object.hasOwn(params, name)) return undefined;
  const value = params[name]?.trim();
  return value ? value : undefined;
}

interface IntRange {
  min: number;
  max?: number;
  /** Used when the parameter is absent; without it the parameter is required. */
  default?: number;
}

/** Reads an integer parameter within a range; throws {@link ParameterError} when it is missing or out of range. */
export function intParam(params: Readonly<Record<string, string>>, name: string, range: IntRange): number {
  const raw = stringParam(params, name);
  if (raw === undefined) {
    if (range.default !== undefined) return range.default;
    throw new ParameterError(`parameter "${name}" is required`);
  }
  const value = /^[+]?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < range.min || (range.max !== undefined && value > range.max)) {
    const expected =
      range.max === undefined ? `an integer of at least ${range.min}` : `an integer from ${range.min} to ${range.max}`;
    throw new ParameterError(`parameter "${name}" must be ${expected}, got "${raw}"`);
  }
  return value;
}

/** Reads a TCP port parameter (1-65535). */
export function portParam(params: Readonly<Record<string, string>>, name = 'port', defaultPort?: number): number {
  return intParam(params, name, { min: 1, max: 65535, ...(defaultPort === undefined ? {} : { default: defaultPort }) });
}

/** Reads a "true"/"false" parameter (case-insensitive). */
export function booleanParam(params: Readonly<Record<string, string>>, name: string, defaultValue: boolean): boolean {
  const raw = stringParam(params, name);
  if (raw === undefined) return defaultValue;
  const lower = raw.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new ParameterError(`parameter "${name}" must be "true" or "false", got "${raw}"`);
}

/** The message of anything thrown, Error or not. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The reason every monitor gives when the caller's signal ran out. */
export function timeoutReason(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}



/**
 * The DOWN outcome for a failed connection or request. Once `signal` has
 * aborted, whatever error the socket reports is a consequence of the abort,
 * so the reason is the timeout rather than that error.
 */
export function networkFailure(err: unknown, signal: AbortSignal, timeoutMs: number): PollOutcome {
  if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(timeoutMs) };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = errorMessage(err);
  const known = code === undefined ? undefined : Object.hasOwn(NETWORK_ERROR_WORDS, code) ? NETWORK_ERROR_WORDS[code] : undefined;
  return { status: 'DOWN', reason: known ?? (code ? `${code}: ${message}` : message) };
}

/** Milliseconds since `start` (a `performance.now()` reading), kept to the microsecond. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

/** A parameter's value as given (not trimmed: spaces may matter), or undefined when absent or blank. */
export function rawParam(params: Readonly<Record<string, string>>, name: string): string | undefined {
  if (!Object.hasOwn(params, name)) return undefined;
  const value = params[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Compiles a regular expression from parameter `name`; a bad one is a ParameterError naming it. */
export function compileRegex(name: string, source: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    throw new ParameterError(`parameter "${name}" is not a valid regular expression: ${errorMessage(err)}`);
  }
}

/** A regular expression parameter (searched for, not anchored), or undefined when absent. */
export function regexParam(params: Readonly<Record<string, string>>, name: string, flags = ''): RegExp | undefined {
  const source = rawParam(params, name);
  return source === undefined ? undefined : compileRegex(name, source, flags);
}

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

