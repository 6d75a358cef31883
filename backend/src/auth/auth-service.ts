/**
 * Users and sessions. The first start creates the user `admin`, with the
 * password from VANTAGE_ADMIN_PASSWORD or a generated one printed once.
 * Session tokens live in an HttpOnly cookie and only their hash is stored;
 * each session has its own CSRF token, which changes require as a header.
 * Every password presented, however it comes, passes the one PasswordGate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { PasswordGate, type GateOutcome } from './password-gate.ts';
import type { FirstAdminPassword } from './first-admin.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Role } from './roles.ts';

export const SESSION_TTL_MS = 12 * 3_600_000;
export const MIN_PASSWORD_LENGTH = 10;

export interface SignedInUser {
  id: number;
  username: string;
  role: Role;
}

/** A password check: the user, or why not (wrong, wait, busy: see PasswordGate). */
export type PasswordCheck = GateOutcome<SignedInUser>;
/** Why a password check did not sign anyone in. */
export type PasswordRefusal = Exclude<PasswordCheck, { kind: 'accepted' }>;

/** How long verified Basic credentials are believed without hashing again. */
const BASIC_CACHE_TTL_MS = 60_000;
/** Verified Basic credentials remembered at most (the cache starts over beyond). */
const BASIC_CACHE_MAX_ENTRIES = 1000;

export interface Session {
  user: SignedInUser;
  csrfToken: string;
  expiresAt: number;
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export class AuthService {
  /** Recently verified Basic credentials, so scripts do not pay for scrypt on every request. */
  private readonly basicCache = new Map<string, { user: SignedInUser; until: number }>();
  /** Basic checks in progress by client and header: parallel requests with the same credentials share one hash. */
  private readonly basicInFlight = new Map<string, Promise<PasswordCheck>>();

  constructor(
    private readonly db: Database,
    private readonly gate: PasswordGate = new PasswordGate(),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates `admin` when there is no user, with the password `firstPassword`
   * gives (asked only then, unless it was started ahead: first-admin.ts);
   * returns the password when it was generated and this call created the user.
   */
  async ensureAdmin(firstPassword: () => FirstAdminPassword): Promise<{ created: boolean; generatedPassword?: string }> {
    const [row] = (await this.db.manager.query(`SELECT count(*)::int AS count FROM app_user`)) as { count: number }[];
    if ((row?.count ?? 0) > 0) return { created: false };
    const { password, generated, hash } = firstPassword();
    if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`the admin password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    const passwordHash = await hash;
    const inserted = (await this.db.transaction((m) =>
      m.query(`WITH added AS (INSERT INTO app_user (username, password_hash, created_at, role) VALUES ('admin', $1, $2, 'admin') ON CONFLICT DO NOTHING RETURNING id) SELECT id FROM added`, [passwordHash, this.now()]),
    )) as unknown[];
    // Another instance created it meanwhile (not under the start lock): its password, not this one, is the one in force.
    if (inserted.length === 0) return { created: false };
    return generated ? { created: true, generatedPassword: password } : { created: true };
  }

  /** A username and password from `address` (the client's IP), through the gate. */
  checkPassword(username: string, password: string, address: string): Promise<PasswordCheck> {
    return this.gate.attempt(username, address, () => this.verify(username, password));
  }

  private async verify(username: string, password: string): Promise<SignedInUser | null> {
    const [row] = (await this.db.manager.query(`SELECT id, username, role, password_hash FROM app_user WHERE username = $1`, [username])) as {
      id: number;
      username: string;
      role: Role;
      password_hash: string;
    }[];
    // Hash anyway when the user does not exist, so timing does not tell which usernames exist.
    const ok = await verifyPassword(password, row?.password_hash ?? DUMMY_HASH);
    return row && ok ? { id: row.id, username: row.username, role: row.role } : null;
  }

  /** Credentials from an `Authorization: Basic` header, for scripts. */
  async checkBasic(header: string, address: string): Promise<PasswordCheck> {
    const key = tokenHash(header);
    const cached = this.basicCache.get(key);
    if (cached && cached.until > this.now()) return { kind: 'accepted', user: cached.user };
    const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return { kind: 'rejected' };
    const flightKey = `${address} ${key}`;
    const inFlight = this.basicInFlight.get(flightKey);
    if (inFlight) return inFlight;
    const check = this.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1), address).then((outcome) => {
      if (outcome.kind === 'accepted') {
        if (this.basicCache.size >= BASIC_CACHE_MAX_ENTRIES) this.basicCache.clear();
        this.basicCache.set(key, { user: outcome.user, until: this.now() + BASIC_CACHE_TTL_MS });
      }
      return outcome;
    });
    this.basicInFlight.set(flightKey, check);
    try {
      return await check;
    } finally {
      this.basicInFlight.delete(flightKey);
    }
  }

  /** Forgets verified Basic credentials, after a user's role or password changed or the user was deleted. */
  forgetCredentials(): void {
    this.basicCache.clear();
  }

  async createSession(user: SignedInUser): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + SESSION_TTL_MS;
    await this.db.transaction((m) =>
      m.query(`INSERT INTO user_session (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
        tokenHash(token),
        user.id,
        csrfToken,
        this.now(),
        expiresAt,
      ]),
    );
    return { token, session: { user, csrfToken, expiresAt } };
  }

  async session(token: string): Promise<Session | null> {
    const [row] = (await this.db.manager.query(
      `SELECT s.csrf_token, s.expires_at, u.id, u.username, u.role FROM user_session s JOIN app_user u ON u.id = s.user_id
        WHERE s.token_hash = $1 AND s.expires_at > $2`,
      [tokenHash(token), this.now()],
    )) as { csrf_token: string; expires_at: string | number; id: number; username: string; role: Role }[];
    return row ? { user: { id: row.id, username: row.username, role: row.role }, csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) } : null;
  }

  async endSession(token: string): Promise<void> {
    await this.db.transaction((m) => m.query(`DELETE FROM user_session WHERE token_hash = $1 OR expires_at <= $2`, [tokenHash(token), this.now()]));
  }

  /** Changes the password when `current` is right (checked through the gate like any other password). */
  async changePassword(user: SignedInUser, current: string, next: string, address: string): Promise<'changed' | 'too-short' | PasswordRefusal> {
    if (next.length < MIN_PASSWORD_LENGTH) return 'too-short';
    const check = await this.checkPassword(user.username, current, address);
    if (check.kind !== 'accepted') return check;
    const hash = await hashPassword(next);
    await this.db.transaction(async (m) => {
      await m.query(`UPDATE app_user SET password_hash = $1 WHERE id = $2`, [hash, user.id]);
      // Other sessions of this user end: a changed password should lock out whoever had the old one.
      await m.query(`DELETE FROM user_session WHERE user_id = $1`, [user.id]);
    });
    this.basicCache.clear();
    return 'changed';
  }
}

// A hash of a random password, so a check for an unknown user costs as much as a real one
// (same parameters as hashPassword: passwords.test.ts checks that it really hashes).
export const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
