/** Durations and sizes as people write them on a command line: `90s`, `5m`, `720h`, `3d`; `64MiB`. */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Milliseconds from `N` plus a unit (ms, s, m, h, d); a bare number is milliseconds. */
export function parseDuration(option: string, text: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']! : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${option} must be a positive duration such as 90s, 5m, 720h or 3d, got "${text}"`);
  }
  return value;
}

/** Bytes from `N` plus an optional unit (KiB, MiB, GiB). */
export function parseByteSize(option: string, text: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  const value = match && unit ? Number(match[1]) * unit : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${option} must be a positive size such as 64MiB or 1GiB, got "${text}"`);
  return value;
}

/** A TCP port, 0 (any free one) to 65535. */
export function parsePort(option: string, text: string): number {
  const value = /^\d{1,5}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(value >= 0 && value <= 65_535)) throw new Error(`${option} must be a port number from 0 to 65535, got "${text}"`);
  return value;
}
