/**
 * The password of the user `admin` that a first start creates: the one from
 * VANTAGE_ADMIN_PASSWORD, or a generated one. Its scrypt hash is started
 * here, apart from the creation, so that a start that knows it will create
 * the admin (a new embedded data folder) hashes in Node's thread pool while
 * PGlite starts on the main thread, instead of after it.
 */
import { generatePassword, hashPassword } from './passwords.ts';

export interface FirstAdminPassword {
  password: string;
  /** Made here, not given: the start that creates the admin prints it once. */
  generated: boolean;
  hash: Promise<string>;
}

/** Starts hashing the first admin's password: the given one, or a generated one. */
export function startFirstAdminPassword(fromEnvironment?: string): FirstAdminPassword {
  const password = fromEnvironment ?? generatePassword();
  const hash = hashPassword(password);
  // Awaited when the admin is created; when another start created it first, a failure here matters to no one.
  hash.catch(() => undefined);
  return { password, generated: fromEnvironment === undefined, hash };
}
