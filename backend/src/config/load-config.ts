import { readFile } from 'node:fs/promises';
import { monitors } from '@vantage/monitors';
import { ConfigError } from './config-error.ts';
import { parsePollingConfig } from './parse-polling-config.ts';
import type { PollingConfig } from './polling-config.ts';

/** The monitor types a configuration may name: the registry's. */
export const KNOWN_MONITOR_TYPES: ReadonlySet<string> = new Set(Object.keys(monitors));

/** Reads and validates a polling configuration file; every failure is a ConfigError naming the file. */
export async function loadPollingConfigFile(path: string, variables: Record<string, string> = {}): Promise<PollingConfig> {
  return parsePollingConfigText(await readPollingConfigText(path), path, variables);
}

/** The text of a polling configuration file; a failure is a ConfigError naming the file. */
export async function readPollingConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the polling configuration: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Validates a polling configuration's text; `fileName` names where it came from in errors. */
export function parsePollingConfigText(xml: string, fileName: string, variables: Record<string, string> = {}): PollingConfig {
  return parsePollingConfig(xml, { fileName, monitors, variables });
}
