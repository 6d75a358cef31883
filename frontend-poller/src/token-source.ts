/**
 * Where the poller takes its registration token from. The command line is
 * the worst place: every user of the host reads it in /proc/PID/cmdline (and
 * `ps`), so `--token` still works but warns. `--token-file FILE` (its first
 * line; refused when others may read the file, as ssh refuses a private key)
 * and the VANTAGE_TOKEN environment variable (readable only by the poller's
 * user, in /proc/PID/environ) keep it private.
 */
import { readFile, stat } from 'node:fs/promises';

export const TOKEN_ENV_VARIABLE = 'VANTAGE_TOKEN';

/** Permission bits that let the group or other users at a token file. */
const SHARED_PERMISSION_BITS = 0o077;

export type TokenSourceName = 'none' | '--token' | '--token-file' | typeof TOKEN_ENV_VARIABLE;

export interface TokenSourceInput {
  /** --token, if given. */
  token?: string;
  /** --token-file, if given. */
  tokenFile?: string;
  /** The environment (process.env). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedToken {
  token: string | undefined;
  source: TokenSourceName;
  /** Things the operator should change, to be logged. */
  warnings: string[];
}

/** A token source that cannot be used; the message says what to do. */
export class TokenSourceError extends Error {}

export async function resolveRegistrationToken(input: TokenSourceInput): Promise<ResolvedToken> {
  const fromEnv = input.env[TOKEN_ENV_VARIABLE];
  const given: TokenSourceName[] = [];
  if (input.token !== undefined) given.push('--token');
  if (input.tokenFile !== undefined) given.push('--token-file');
  if (fromEnv !== undefined) given.push(TOKEN_ENV_VARIABLE);
  if (given.length > 1) throw new TokenSourceError(`the registration token was given more than one way (${given.join(', ')}): give it once`);

  if (input.tokenFile !== undefined) return { token: await readTokenFile(input.tokenFile), source: '--token-file', warnings: [] };
  if (fromEnv !== undefined) {
    const token = fromEnv.trim();
    if (token === '') throw new TokenSourceError(`${TOKEN_ENV_VARIABLE} is set but empty`);
    return { token, source: TOKEN_ENV_VARIABLE, warnings: [] };
  }
  if (input.token !== undefined) {
    const token = input.token.trim();
    if (token === '') throw new TokenSourceError('--token is empty');
    return {
      token,
      source: '--token',
      warnings: [`--token is visible to every user of this host (in /proc/PID/cmdline and ps): use --token-file FILE or ${TOKEN_ENV_VARIABLE} instead`],
    };
  }
  return { token: undefined, source: 'none', warnings: [] };
}

async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    const info = await stat(path);
    // Windows has no such permission bits to check.
    if (process.platform !== 'win32' && (info.mode & SHARED_PERMISSION_BITS) !== 0) {
      const mode = (info.mode & 0o777).toString(8);
      throw new TokenSourceError(`--token-file ${path} is readable by other users (mode ${mode}): chmod 600 ${path}`);
    }
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof TokenSourceError) throw err;
    throw new TokenSourceError(`cannot read --token-file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const token = (text.split(/\r?\n/, 1)[0] ?? '').trim();
  if (token === '') throw new TokenSourceError(`--token-file ${path}: the first line is empty; it must hold the registration token`);
  return token;
}
